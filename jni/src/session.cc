// Sessions: creation (plain or from a SavedModel), deletion and TF_SessionRun.
#include <string>
#include <vector>

#include "errors.h"
#include "io_sparkdl_jni_NativeBindings.h"
#include "jni_util.h"
#include "raii.h"
#include "tensorflow/c/c_api.h"

using namespace sparkdl;

namespace {

// Session options carrying the serialized ConfigProto (null or empty -> TF defaults) and the
// target (null or empty -> this process; else a server's grpc://host:port).
SessionOptionsPtr NewOptions(JNIEnv* env, jbyteArray config_proto, jstring target) {
  SessionOptionsPtr opts = Owned<SessionOptionsPtr>(TF_NewSessionOptions());
  if (target != nullptr) {
    const std::string t = ToCString(env, target, "target");
    if (!t.empty()) TF_SetTarget(opts.get(), t.c_str());  // TF copies the string
  }
  if (config_proto != nullptr) {
    const std::vector<char> config = ToBytes(env, config_proto, "configProto");
    if (!config.empty()) {
      StatusPtr status = NewStatus();
      TF_SetConfig(opts.get(), config.data(), config.size(), status.get());
      CheckStatus(env, status.get());
    }
  }
  return opts;
}

std::string At(const char* what, jsize i) {
  return std::string(what) + "[" + std::to_string(i) + "]";
}

}  // namespace

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_sessionNew(JNIEnv* env, jclass,
                                                                      jlong graph,
                                                                      jbyteArray config_proto,
                                                                      jstring target) {
  return Guard(env, [&]() -> jlong {
    TF_Graph* g = FromHandle<TF_Graph>(env, graph, "graph");
    SessionOptionsPtr opts = NewOptions(env, config_proto, target);
    StatusPtr status = NewStatus();
    TF_Session* session = TF_NewSession(g, opts.get(), status.get());
    CheckStatus(env, status.get());
    return ToHandle(session);
  });
}

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_sessionFromSavedModel(
    JNIEnv* env, jclass, jlong graph, jstring export_dir, jobjectArray tags,
    jbyteArray config_proto, jstring target, jobjectArray meta_graph_def_out) {
  return Guard(env, [&]() -> jlong {
    TF_Graph* g = FromHandle<TF_Graph>(env, graph, "graph");
    const std::string dir = ToCString(env, export_dir, "exportDir");
    const jsize ntags = ArrayLength(env, tags, "tags");
    std::vector<std::string> tag_strings;
    tag_strings.reserve(static_cast<size_t>(ntags));
    for (jsize i = 0; i < ntags; ++i) {
      auto tag = static_cast<jstring>(env->GetObjectArrayElement(tags, i));
      CheckJni(env);
      tag_strings.push_back(ToCString(env, tag, At("tags", i).c_str()));
      // Drop each local ref at once so many tags cannot exhaust the local frame.
      env->DeleteLocalRef(tag);
    }
    std::vector<const char*> tag_ptrs;
    for (const std::string& s : tag_strings) tag_ptrs.push_back(s.c_str());
    // Check the out-array before loading, so a bad argument never costs a loaded model.
    if (meta_graph_def_out != nullptr &&
        ArrayLength(env, meta_graph_def_out, "metaGraphDefOut") < 1) {
      ThrowIllegalArgument(env, "metaGraphDefOut has no element [0] to write to");
    }

    SessionOptionsPtr opts = NewOptions(env, config_proto, target);
    BufferPtr meta = meta_graph_def_out != nullptr ? NewBuffer() : BufferPtr();
    StatusPtr status = NewStatus();
    TF_Session* raw = TF_LoadSessionFromSavedModel(opts.get(), /*run_options=*/nullptr,
                                                   dir.c_str(), tag_ptrs.data(),
                                                   static_cast<int>(tag_ptrs.size()), g,
                                                   meta.get(), status.get());
    CheckStatus(env, status.get());
    SessionPtr session(raw);  // closed and deleted if handing back the MetaGraphDef fails
    if (meta_graph_def_out != nullptr) {
      jbyteArray bytes = NewByteArray(env, meta->data, meta->length);
      env->SetObjectArrayElement(meta_graph_def_out, 0, bytes);
      CheckJni(env);
      env->DeleteLocalRef(bytes);
    }
    return ToHandle(session.release());
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_sessionCancel(JNIEnv* env, jclass,
                                                                        jlong session) {
  Guard(env, [&]() {
    TF_Session* s = FromHandle<TF_Session>(env, session, "session");
    StatusPtr status = NewStatus();
    TF_CloseSession(s, status.get());
    CheckStatus(env, status.get());
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_sessionDelete(JNIEnv* env, jclass,
                                                                        jlong session) {
  Guard(env, [&] {
    TF_Session* s = FromHandle<TF_Session>(env, session, "session");
    // Both statuses first: once closing has started, nothing may stop the delete.
    StatusPtr close_status = NewStatus();
    StatusPtr delete_status = NewStatus();
    TF_CloseSession(s, close_status.get());
    TF_DeleteSession(s, delete_status.get());
    CheckStatus(env, close_status.get());  // the first error wins
    CheckStatus(env, delete_status.get());
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_sessionRun(
    JNIEnv* env, jclass, jlong session, jlongArray feed_ops, jintArray feed_indices,
    jlongArray feed_tensors, jlongArray fetch_ops, jintArray fetch_indices, jlongArray target_ops,
    jlongArray fetch_tensors_out) {
  Guard(env, [&] {
    TF_Session* s = FromHandle<TF_Session>(env, session, "session");
    const jsize nfeeds = ArrayLength(env, feed_ops, "feedOps");
    RequireLength(env, feed_indices, nfeeds, "feedIndices", "feedOps");
    RequireLength(env, feed_tensors, nfeeds, "feedTensors", "feedOps");
    const jsize nfetches = ArrayLength(env, fetch_ops, "fetchOps");
    RequireLength(env, fetch_indices, nfetches, "fetchIndices", "fetchOps");
    RequireLength(env, fetch_tensors_out, nfetches, "fetchTensorsOut", "fetchOps");
    const jsize ntargets = ArrayLength(env, target_ops, "targetOps");

    // One bulk copy per array; everything below is plain C++ until the single write-back.
    const std::vector<jlong> feed_op_handles = ToLongs(env, feed_ops, "feedOps");
    const std::vector<jint> feed_index_values = ToInts(env, feed_indices, "feedIndices");
    const std::vector<jlong> feed_tensor_handles = ToLongs(env, feed_tensors, "feedTensors");
    const std::vector<jlong> fetch_op_handles = ToLongs(env, fetch_ops, "fetchOps");
    const std::vector<jint> fetch_index_values = ToInts(env, fetch_indices, "fetchIndices");
    const std::vector<jlong> target_handles = ToLongs(env, target_ops, "targetOps");

    std::vector<TF_Output> inputs;
    std::vector<TF_Tensor*> input_values;
    inputs.reserve(static_cast<size_t>(nfeeds));
    input_values.reserve(static_cast<size_t>(nfeeds));
    for (jsize i = 0; i < nfeeds; ++i) {
      TF_Operation* op =
          FromHandle<TF_Operation>(env, feed_op_handles[i], At("feedOps", i).c_str());
      inputs.push_back(CheckedOutput(env, op, feed_index_values[i], At("feedIndices", i)));
      input_values.push_back(
          FromHandle<TF_Tensor>(env, feed_tensor_handles[i], At("feedTensors", i).c_str()));
    }
    std::vector<TF_Output> outputs;
    outputs.reserve(static_cast<size_t>(nfetches));
    for (jsize i = 0; i < nfetches; ++i) {
      TF_Operation* op =
          FromHandle<TF_Operation>(env, fetch_op_handles[i], At("fetchOps", i).c_str());
      outputs.push_back(CheckedOutput(env, op, fetch_index_values[i], At("fetchIndices", i)));
    }
    std::vector<const TF_Operation*> targets;
    targets.reserve(static_cast<size_t>(ntargets));
    for (jsize i = 0; i < ntargets; ++i) {
      targets.push_back(
          FromHandle<TF_Operation>(env, target_handles[i], At("targetOps", i).c_str()));
    }

    TensorArray fetched(static_cast<size_t>(nfetches));  // freed on any failure below
    StatusPtr status = NewStatus();
    // Feeds stay owned by the caller: TF_SessionRun only borrows them.
    TF_SessionRun(s, /*run_options=*/nullptr, inputs.data(), input_values.data(), nfeeds,
                  outputs.data(), fetched.data(), nfetches, targets.data(), ntargets,
                  /*run_metadata=*/nullptr, status.get());
    CheckStatus(env, status.get());

    std::vector<jlong> addresses(static_cast<size_t>(nfetches));
    for (jsize i = 0; i < nfetches; ++i) addresses[i] = ToHandle(fetched[i]);
    if (nfetches > 0) env->SetLongArrayRegion(fetch_tensors_out, 0, nfetches, addresses.data());
    CheckJni(env);
    fetched.release();  // the caller owns them now
  });
}

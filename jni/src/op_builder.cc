// Building operations: TF_NewOperation, inputs and attributes, TF_FinishOperation.
// Setters only record into the description; TF validates everything at finish time.
#include <new>
#include <string>
#include <vector>

#include "errors.h"
#include "io_sparkdl_jni_NativeBindings.h"
#include "jni_util.h"
#include "raii.h"
#include "tensorflow/c/c_api.h"

using namespace sparkdl;

namespace {

TF_OperationDescription* Desc(JNIEnv* env, jlong desc) {
  return FromHandle<TF_OperationDescription>(env, desc, "desc");
}

}  // namespace

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderNew(JNIEnv* env, jclass,
                                                                        jlong graph,
                                                                        jstring op_type,
                                                                        jstring name) {
  return Guard(env, [&]() -> jlong {
    TF_Graph* g = FromHandle<TF_Graph>(env, graph, "graph");
    const std::string type = ToCString(env, op_type, "opType");
    const std::string n = ToCString(env, name, "name");
    // TF copies both strings; an unknown op type is reported by TF_FinishOperation.
    TF_OperationDescription* desc = TF_NewOperation(g, type.c_str(), n.c_str());
    if (desc == nullptr) throw std::bad_alloc();
    return ToHandle(desc);
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderAddInput(JNIEnv* env, jclass,
                                                                            jlong desc,
                                                                            jlong op,
                                                                            jint index) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    TF_AddInput(d, CheckedOutput(env, FromHandle<TF_Operation>(env, op, "op"), index, "index"));
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderAddInputList(
    JNIEnv* env, jclass, jlong desc, jlongArray ops, jintArray indices) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    const jsize n = ArrayLength(env, ops, "ops");
    RequireLength(env, indices, n, "indices", "ops");
    const std::vector<jlong> handles = ToLongs(env, ops, "ops");
    const std::vector<jint> idx = ToInts(env, indices, "indices");
    std::vector<TF_Output> inputs;
    inputs.reserve(static_cast<size_t>(n));
    for (jsize i = 0; i < n; ++i) {
      const std::string at = "[" + std::to_string(i) + "]";
      TF_Operation* op = FromHandle<TF_Operation>(env, handles[i], ("ops" + at).c_str());
      inputs.push_back(CheckedOutput(env, op, idx[i], "indices" + at));
    }
    TF_AddInputList(d, inputs.data(), static_cast<int>(n));
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderAddControlInput(JNIEnv* env,
                                                                                   jclass,
                                                                                   jlong desc,
                                                                                   jlong op) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    TF_AddControlInput(d, FromHandle<TF_Operation>(env, op, "op"));
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderSetAttrType(JNIEnv* env,
                                                                               jclass,
                                                                               jlong desc,
                                                                               jstring name,
                                                                               jint dtype) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    const std::string n = ToCString(env, name, "name");
    TF_SetAttrType(d, n.c_str(), static_cast<TF_DataType>(dtype));
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderSetAttrShape(JNIEnv* env,
                                                                                jclass,
                                                                                jlong desc,
                                                                                jstring name,
                                                                                jlongArray dims) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    const std::string n = ToCString(env, name, "name");
    if (dims == nullptr) {  // unknown rank
      TF_SetAttrShape(d, n.c_str(), nullptr, -1);
      return;
    }
    const std::vector<int64_t> v = ToInt64s(env, dims, "dims");
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] < -1) {
        ThrowIllegalArgument(env, "dims[" + std::to_string(i) + "] = " + std::to_string(v[i]) +
                                      ": a dimension is >= 0, or -1 for unknown");
      }
    }
    TF_SetAttrShape(d, n.c_str(), v.data(), static_cast<int>(v.size()));
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderSetAttrInt(JNIEnv* env,
                                                                              jclass,
                                                                              jlong desc,
                                                                              jstring name,
                                                                              jlong value) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    const std::string n = ToCString(env, name, "name");
    TF_SetAttrInt(d, n.c_str(), static_cast<int64_t>(value));
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderSetAttrIntList(
    JNIEnv* env, jclass, jlong desc, jstring name, jlongArray values) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    const std::string n = ToCString(env, name, "name");
    const std::vector<int64_t> v = ToInt64s(env, values, "values");
    TF_SetAttrIntList(d, n.c_str(), v.data(), static_cast<int>(v.size()));
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderSetAttrFloat(JNIEnv* env,
                                                                                jclass,
                                                                                jlong desc,
                                                                                jstring name,
                                                                                jfloat value) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    const std::string n = ToCString(env, name, "name");
    TF_SetAttrFloat(d, n.c_str(), value);
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderSetAttrBool(JNIEnv* env,
                                                                               jclass,
                                                                               jlong desc,
                                                                               jstring name,
                                                                               jboolean value) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    const std::string n = ToCString(env, name, "name");
    TF_SetAttrBool(d, n.c_str(), value == JNI_TRUE ? 1 : 0);
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderSetAttrString(
    JNIEnv* env, jclass, jlong desc, jstring name, jbyteArray value) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    const std::string n = ToCString(env, name, "name");
    const std::vector<char> bytes = ToBytes(env, value, "value");
    TF_SetAttrString(d, n.c_str(), bytes.data(), bytes.size());  // TF copies
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderSetAttrTensor(JNIEnv* env,
                                                                                 jclass,
                                                                                 jlong desc,
                                                                                 jstring name,
                                                                                 jlong tensor) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    TF_Tensor* t = FromHandle<TF_Tensor>(env, tensor, "tensor");
    const std::string n = ToCString(env, name, "name");
    StatusPtr status = NewStatus();
    TF_SetAttrTensor(d, n.c_str(), t, status.get());  // copies into a TensorProto
    CheckStatus(env, status.get());
  });
}

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderFinish(JNIEnv* env, jclass,
                                                                           jlong desc) {
  return Guard(env, [&]() -> jlong {
    TF_OperationDescription* d = Desc(env, desc);
    StatusPtr status = NewStatus();
    TF_Operation* op = TF_FinishOperation(d, status.get());  // frees d, also on error
    CheckStatus(env, status.get());
    return ToHandle(op);
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_opBuilderAbandon(JNIEnv* env, jclass,
                                                                            jlong desc) {
  Guard(env, [&] {
    TF_OperationDescription* d = Desc(env, desc);
    // The C API has no way to delete a description but TF_FinishOperation. One attribute set
    // to two different values is an error TF's NodeDefBuilder records and reports when
    // finishing, before it adds anything to the graph (an attribute the op does not declare is
    // not: TF ignores those, for forward compatibility). So the finish below frees the
    // description and leaves the graph as it was.
    TF_SetAttrBool(d, "sparkdl_abandoned_description", 1);
    TF_SetAttrBool(d, "sparkdl_abandoned_description", 0);
    StatusPtr status = NewStatus();
    TF_Operation* op = TF_FinishOperation(d, status.get());  // frees d
    if (op != nullptr) {
      ThrowNative(env, TF_INTERNAL,
                  std::string("an abandoned operation description was added to the graph as '") +
                      TF_OperationName(op) + "'");
    }
  });
}

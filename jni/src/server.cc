// TF gRPC servers (TF's distributed runtime): made and started from a ServerDef, and their target.
// There is deliberately no delete: TF_DeleteServer aborts the process for any server it made
// (started: LOG(FATAL) in ~GrpcServer since Stop() is UNIMPLEMENTED; never started: a gRPC
// completion-queue assertion), so a server lives as long as the process.
#include <vector>

#include "errors.h"
#include "io_sparkdl_jni_NativeBindings.h"
#include "jni_util.h"
#include "raii.h"
#include "tensorflow/c/c_api.h"

using namespace sparkdl;

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_serverStart(JNIEnv* env, jclass,
                                                                       jbyteArray server_def) {
  return Guard(env, [&]() -> jlong {
    const std::vector<char> def = ToBytes(env, server_def, "serverDef");
    if (def.empty()) ThrowIllegalArgument(env, "serverDef is empty");
    StatusPtr status = NewStatus();
    // TF_NewServer binds the port; a failure here leaves nothing behind.
    TF_Server* server = TF_NewServer(def.data(), def.size(), status.get());
    CheckStatus(env, status.get());
    TF_ServerStart(server, status.get());
    // A server that failed to start cannot be deleted either (see above): it is left, unstarted.
    CheckStatus(env, status.get());
    return ToHandle(server);
  });
}

JNIEXPORT jstring JNICALL Java_io_sparkdl_jni_NativeBindings_serverTarget(JNIEnv* env, jclass,
                                                                          jlong server) {
  return Guard(env, [&]() -> jstring {
    TF_Server* s = FromHandle<TF_Server>(env, server, "server");
    return NewJavaString(env, TF_ServerTarget(s));
  });
}

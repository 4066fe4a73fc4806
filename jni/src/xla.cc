// enableXlaCpuJit: lets sessions that ask for XLA auto-clustering (global_jit_level in their
// ConfigProto) cluster CPU ops too. TF keeps that behind a process-wide flag; sessions that do not
// ask for XLA are unaffected by it. TF reads the flag once, when it makes the first session's
// devices, so the JVM sets it right after loading this library.
#include "errors.h"
#include "io_sparkdl_jni_NativeBindings.h"
#include "jni_util.h"
#include "tensorflow/c/c_api_experimental.h"

using namespace sparkdl;

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_enableXlaCpuJit(JNIEnv* env, jclass) {
  Guard(env, [&]() { TF_SetTfXlaCpuGlobalJit(1); });
}

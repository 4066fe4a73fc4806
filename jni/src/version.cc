// tfVersion: which TF runtime actually got loaded.
#include "errors.h"
#include "io_sparkdl_jni_NativeBindings.h"
#include "jni_util.h"
#include "tensorflow/c/c_api.h"

using namespace sparkdl;

JNIEXPORT jstring JNICALL Java_io_sparkdl_jni_NativeBindings_tfVersion(JNIEnv* env, jclass) {
  return Guard(env, [&]() -> jstring { return NewJavaString(env, TF_Version()); });
}

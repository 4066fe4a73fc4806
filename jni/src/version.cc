// tfVersion: which TF runtime actually got loaded; setDefaultLogLevel: how chatty TF is.
#include <stdlib.h>

#include <string>

#include "errors.h"
#include "io_sparkdl_jni_NativeBindings.h"
#include "jni_util.h"
#include "tensorflow/c/c_api.h"

using namespace sparkdl;

JNIEXPORT jstring JNICALL Java_io_sparkdl_jni_NativeBindings_tfVersion(JNIEnv* env, jclass) {
  return Guard(env, [&]() -> jstring { return NewJavaString(env, TF_Version()); });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_setDefaultLogLevel(JNIEnv* env, jclass, jint level) {
  Guard(env, [&] {
    if (level < 0 || level > 3) ThrowIllegalArgument(env, "log level must be 0..3");
    // overwrite = 0: a level the user set in the environment wins.
    setenv("TF_CPP_MIN_LOG_LEVEL", std::to_string(level).c_str(), 0);
  });
}

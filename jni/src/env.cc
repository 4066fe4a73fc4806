// libsparkdl_env.so: sets TF's environment defaults. The JVM loads it *before* the TF runtime,
// because TF reads some settings (TF_ENABLE_ONEDNN_OPTS) once, while its libraries initialise.
// So it must not link TF, nor anything of ours that does: JNI and libc only.
#include <jni.h>
#include <stdlib.h>

#include <string>

#include "io_sparkdl_jni_NativeBindings.h"

namespace {

// A Java String's modified UTF-8 (environment names and values here are ASCII); null -> "".
std::string ToString(JNIEnv* env, jstring s) {
  if (s == nullptr) return {};
  const char* chars = env->GetStringUTFChars(s, nullptr);
  if (chars == nullptr) return {};  // OutOfMemoryError pending
  std::string out(chars);
  env->ReleaseStringUTFChars(s, chars);
  return out;
}

void ThrowIllegalArgument(JNIEnv* env, const char* message) {
  jclass cls = env->FindClass("java/lang/IllegalArgumentException");
  if (cls != nullptr) env->ThrowNew(cls, message);
}

}  // namespace

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_setEnvDefault(JNIEnv* env, jclass, jstring name,
                                                                       jstring value) {
  if (name == nullptr || value == nullptr) return ThrowIllegalArgument(env, "name and value must not be null");
  std::string key = ToString(env, name);
  if (env->ExceptionCheck()) return;
  std::string text = ToString(env, value);
  if (env->ExceptionCheck()) return;
  if (key.empty() || key.find('=') != std::string::npos) {
    return ThrowIllegalArgument(env, ("not an environment variable name: '" + key + "'").c_str());
  }
  // overwrite = 0: a value the user set in the environment wins.
  if (setenv(key.c_str(), text.c_str(), 0) != 0) ThrowIllegalArgument(env, "setenv failed");
}

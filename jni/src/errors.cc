#include "errors.h"

#include <exception>
#include <new>

#include "jni_util.h"

namespace sparkdl {
namespace {

// Raises a new `cls_name(message)`, or `cls_name(code, message)` when `with_code`. The message
// goes through our UTF-8 decoder, not ThrowNew: TF messages and user names need not be valid
// modified UTF-8. Always leaves some exception pending.
void Raise(JNIEnv* env, const char* cls_name, bool with_code, jint code,
           const std::string& message) noexcept {
  if (env->ExceptionCheck()) return;  // keep the first failure
  // From a native method FindClass searches the loader of NativeBindings, which also has
  // NativeException; looked up lazily since exceptions are rare.
  jclass cls = env->FindClass(cls_name);
  if (cls == nullptr) return;  // NoClassDefFoundError pending
  jmethodID ctor = env->GetMethodID(
      cls, "<init>", with_code ? "(ILjava/lang/String;)V" : "(Ljava/lang/String;)V");
  if (ctor == nullptr) return;
  jstring jmessage = NewJavaStringNoThrow(env, message.data(), message.size());
  if (jmessage == nullptr) {
    if (!env->ExceptionCheck()) env->ThrowNew(cls, "(message lost: out of native memory)");
    return;
  }
  jobject ex = with_code ? env->NewObject(cls, ctor, code, jmessage)
                         : env->NewObject(cls, ctor, jmessage);
  if (ex == nullptr) return;
  env->Throw(static_cast<jthrowable>(ex));
}

// Last resort when message building itself failed: ThrowNew with a static ASCII text.
void RaiseSimple(JNIEnv* env, const char* cls_name, const char* message) noexcept {
  if (env->ExceptionCheck()) return;
  jclass cls = env->FindClass(cls_name);
  if (cls != nullptr) env->ThrowNew(cls, message);
}

}  // namespace

void ThrowIllegalArgument(JNIEnv* env, const std::string& message) {
  Raise(env, "java/lang/IllegalArgumentException", false, 0, message);
  throw JavaPending{};
}

void ThrowNative(JNIEnv* env, TF_Code code, const std::string& message) {
  Raise(env, "io/sparkdl/jni/NativeException", true, static_cast<jint>(code), message);
  throw JavaPending{};
}

void TranslateCurrentException(JNIEnv* env) noexcept {
  try {
    throw;
  } catch (const JavaPending&) {
    // Already pending.
  } catch (const std::bad_alloc&) {
    RaiseSimple(env, "java/lang/OutOfMemoryError", "native allocation failed in sparkdl_jni");
  } catch (const std::exception& e) {
    try {
      Raise(env, "java/lang/RuntimeException", false, 0,
            std::string("C++ exception in sparkdl_jni: ") + e.what());
    } catch (...) {
      // Building the message failed; the fallback below still raises something.
    }
    RaiseSimple(env, "java/lang/RuntimeException", "C++ exception in sparkdl_jni");
  } catch (...) {
    RaiseSimple(env, "java/lang/RuntimeException", "unknown C++ exception in sparkdl_jni");
  }
}

}  // namespace sparkdl

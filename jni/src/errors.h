// The one place that raises Java exceptions, and the guard every JNI entry point runs in.
//
// Native code signals failure by making a Java exception pending and then throwing the C++
// marker JavaPending, so RAII owners free everything on the way back up to Guard(), which
// returns a neutral value to the JVM. No C++ exception ever crosses into the JVM.
#ifndef SPARKDL_JNI_ERRORS_H_
#define SPARKDL_JNI_ERRORS_H_

#include <jni.h>

#include <string>
#include <type_traits>
#include <utility>

#include "tensorflow/c/tf_status.h"

namespace sparkdl {

// A Java exception is pending; unwind to Guard() without touching JNI again.
struct JavaPending {};

// java.lang.IllegalArgumentException: a zero handle, a null or mis-sized array, a bad value.
[[noreturn]] void ThrowIllegalArgument(JNIEnv* env, const std::string& message);

// io.sparkdl.jni.NativeException carrying a TF_Code.
[[noreturn]] void ThrowNative(JNIEnv* env, TF_Code code, const std::string& message);

// Throws NativeException when `status` is not OK.
inline void CheckStatus(JNIEnv* env, const TF_Status* status) {
  if (TF_GetCode(status) != TF_OK) ThrowNative(env, TF_GetCode(status), TF_Message(status));
}

// Unwinds when the previous JNI call left an exception pending (OOM, bounds, ...).
inline void CheckJni(JNIEnv* env) {
  if (env->ExceptionCheck()) throw JavaPending{};
}

// Called from a catch block: turns the in-flight C++ exception into a pending Java exception
// (std::bad_alloc -> OutOfMemoryError, anything else -> RuntimeException) unless one is
// already pending.
void TranslateCurrentException(JNIEnv* env) noexcept;

// Runs an entry point's body; any exception becomes a Java exception and a neutral result.
template <typename F>
auto Guard(JNIEnv* env, F&& body) noexcept -> decltype(std::forward<F>(body)()) {
  using R = decltype(std::forward<F>(body)());
  try {
    return std::forward<F>(body)();
  } catch (...) {
    TranslateCurrentException(env);
  }
  if constexpr (!std::is_void_v<R>) return R{};
}

}  // namespace sparkdl

#endif  // SPARKDL_JNI_ERRORS_H_

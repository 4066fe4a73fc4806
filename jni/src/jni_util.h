// Conversions between Java values and what the TF C API takes, with argument checks.
// Every function here either succeeds or leaves a Java exception pending and throws
// JavaPending (see errors.h); `what` names the Java argument in messages.
#ifndef SPARKDL_JNI_JNI_UTIL_H_
#define SPARKDL_JNI_JNI_UTIL_H_

#include <jni.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"
#include "tensorflow/c/c_api.h"

namespace sparkdl {

// ---- handles ----------------------------------------------------------------------------

// The TF object behind a handle; 0 -> IllegalArgumentException naming `what`.
template <typename T>
T* FromHandle(JNIEnv* env, jlong handle, const char* what) {
  if (handle == 0) ThrowIllegalArgument(env, std::string(what) + " handle is 0");
  return reinterpret_cast<T*>(static_cast<intptr_t>(handle));
}

inline jlong ToHandle(const void* p) {
  return static_cast<jlong>(reinterpret_cast<intptr_t>(p));
}

// op:index after checking 0 <= index < TF_OperationNumOutputs(op): TF indexes outputs
// without bounds checks in several places (shape inference, NodeBuilder) and may crash.
TF_Output CheckedOutput(JNIEnv* env, TF_Operation* op, jint index, const std::string& what);

// ---- strings ----------------------------------------------------------------------------

// A Java String as standard UTF-8 (JNI's GetStringUTFChars yields *modified* UTF-8, which
// differs for U+0000 and non-BMP characters). null or an embedded U+0000 (TF takes C
// strings) -> IllegalArgumentException.
std::string ToCString(JNIEnv* env, jstring s, const char* what);

// A Java String decoded from UTF-8 bytes (malformed input becomes U+FFFD).
jstring NewJavaString(JNIEnv* env, const char* utf8, size_t len);
inline jstring NewJavaString(JNIEnv* env, const char* utf8) {
  return NewJavaString(env, utf8, std::char_traits<char>::length(utf8));
}
// Same, for errors.cc: returns null instead of throwing (a Java exception may be pending).
jstring NewJavaStringNoThrow(JNIEnv* env, const char* utf8, size_t len) noexcept;

// ---- arrays -----------------------------------------------------------------------------

// Length of a required array; null -> IllegalArgumentException.
jsize ArrayLength(JNIEnv* env, jarray array, const char* what);

// Requires `array` (non-null) to have `expected` elements, like `other_what`.
void RequireLength(JNIEnv* env, jarray array, jsize expected, const char* what,
                   const char* other_what);

std::vector<char> ToBytes(JNIEnv* env, jbyteArray array, const char* what);
std::vector<int64_t> ToInt64s(JNIEnv* env, jlongArray array, const char* what);
std::vector<jlong> ToLongs(JNIEnv* env, jlongArray array, const char* what);
std::vector<jint> ToInts(JNIEnv* env, jintArray array, const char* what);

// New Java arrays; results too large for a Java array -> NativeException OUT_OF_RANGE.
jbyteArray NewByteArray(JNIEnv* env, const void* data, size_t len);
jlongArray NewLongArray(JNIEnv* env, const int64_t* data, size_t len);

}  // namespace sparkdl

#endif  // SPARKDL_JNI_JNI_UTIL_H_

#include "jni_util.h"

#include <climits>
#include <new>
#include <type_traits>

namespace sparkdl {
namespace {

constexpr size_t kMaxJavaArray = INT_MAX;  // jsize is a 32-bit int

void AppendUtf16(std::vector<jchar>& out, uint32_t cp) {
  if (cp < 0x10000) {
    out.push_back(static_cast<jchar>(cp));
  } else {
    cp -= 0x10000;
    out.push_back(static_cast<jchar>(0xD800 + (cp >> 10)));
    out.push_back(static_cast<jchar>(0xDC00 + (cp & 0x3FF)));
  }
}

// Strict UTF-8 -> UTF-16; each malformed byte becomes U+FFFD so TF messages always arrive.
std::vector<jchar> DecodeUtf8(const char* s, size_t len) {
  std::vector<jchar> out;
  out.reserve(len);
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  size_t i = 0;
  while (i < len) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4, cp = c & 0x07, min = 0x10000;
    }
    bool ok = n != 0 && i + n <= len;
    for (size_t k = 1; ok && k < n; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      AppendUtf16(out, cp);
      i += n;
    } else {
      out.push_back(0xFFFD);
      ++i;
    }
  }
  return out;
}

// UTF-16 -> UTF-8; unpaired surrogates become '?', as String.getBytes(UTF_8) does.
std::string EncodeUtf8(const std::vector<jchar>& in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    uint32_t cp = in[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < in.size() && in[i + 1] >= 0xDC00 &&
        in[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (in[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = '?';
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

void CheckJavaArraySize(JNIEnv* env, size_t len) {
  if (len > kMaxJavaArray) {
    ThrowNative(env, TF_OUT_OF_RANGE,
                "result of " + std::to_string(len) + " elements exceeds the Java array limit");
  }
}

}  // namespace

TF_Output CheckedOutput(JNIEnv* env, TF_Operation* op, jint index, const std::string& what) {
  const int n = TF_OperationNumOutputs(op);
  if (index < 0 || index >= n) {
    ThrowIllegalArgument(env, what + " = " + std::to_string(index) +
                                  " is out of range: operation '" + TF_OperationName(op) +
                                  "' has " + std::to_string(n) + " outputs");
  }
  return TF_Output{op, static_cast<int>(index)};
}

std::string ToCString(JNIEnv* env, jstring s, const char* what) {
  if (s == nullptr) ThrowIllegalArgument(env, std::string(what) + " is null");
  const jsize n = env->GetStringLength(s);
  std::vector<jchar> chars(static_cast<size_t>(n));
  if (n > 0) env->GetStringRegion(s, 0, n, chars.data());
  CheckJni(env);
  std::string utf8 = EncodeUtf8(chars);
  if (utf8.find('\0') != std::string::npos) {
    ThrowIllegalArgument(env, std::string(what) + " contains a NUL character");
  }
  return utf8;
}

jstring NewJavaString(JNIEnv* env, const char* utf8, size_t len) {
  const std::vector<jchar> chars = DecodeUtf8(utf8, len);
  CheckJavaArraySize(env, chars.size());
  jstring s = env->NewString(chars.data(), static_cast<jsize>(chars.size()));
  CheckJni(env);
  return s;
}

jstring NewJavaStringNoThrow(JNIEnv* env, const char* utf8, size_t len) noexcept {
  try {
    const std::vector<jchar> chars = DecodeUtf8(utf8, len);
    if (chars.size() > kMaxJavaArray) return nullptr;
    return env->NewString(chars.data(), static_cast<jsize>(chars.size()));
  } catch (...) {
    return nullptr;
  }
}

jsize ArrayLength(JNIEnv* env, jarray array, const char* what) {
  if (array == nullptr) ThrowIllegalArgument(env, std::string(what) + " is null");
  return env->GetArrayLength(array);
}

void RequireLength(JNIEnv* env, jarray array, jsize expected, const char* what,
                   const char* other_what) {
  const jsize n = ArrayLength(env, array, what);
  if (n != expected) {
    ThrowIllegalArgument(env, std::string(what) + " has " + std::to_string(n) +
                                  " elements but " + other_what + " has " +
                                  std::to_string(expected));
  }
}

std::vector<char> ToBytes(JNIEnv* env, jbyteArray array, const char* what) {
  const jsize n = ArrayLength(env, array, what);
  std::vector<char> out(static_cast<size_t>(n));
  if (n > 0) env->GetByteArrayRegion(array, 0, n, reinterpret_cast<jbyte*>(out.data()));
  CheckJni(env);
  return out;
}

std::vector<int64_t> ToInt64s(JNIEnv* env, jlongArray array, const char* what) {
  const jsize n = ArrayLength(env, array, what);
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (n > 0) {
    if constexpr (std::is_same_v<jlong, int64_t>) {
      env->GetLongArrayRegion(array, 0, n, reinterpret_cast<jlong*>(out.data()));
    } else {  // e.g. jlong is long long where int64_t is long: copy through jlongs
      std::vector<jlong> tmp(static_cast<size_t>(n));
      env->GetLongArrayRegion(array, 0, n, tmp.data());
      for (jsize i = 0; i < n; ++i) out[i] = static_cast<int64_t>(tmp[i]);
    }
  }
  CheckJni(env);
  return out;
}

std::vector<jlong> ToLongs(JNIEnv* env, jlongArray array, const char* what) {
  const jsize n = ArrayLength(env, array, what);
  std::vector<jlong> out(static_cast<size_t>(n));
  if (n > 0) env->GetLongArrayRegion(array, 0, n, out.data());
  CheckJni(env);
  return out;
}

std::vector<jint> ToInts(JNIEnv* env, jintArray array, const char* what) {
  const jsize n = ArrayLength(env, array, what);
  std::vector<jint> out(static_cast<size_t>(n));
  if (n > 0) env->GetIntArrayRegion(array, 0, n, out.data());
  CheckJni(env);
  return out;
}

jbyteArray NewByteArray(JNIEnv* env, const void* data, size_t len) {
  CheckJavaArraySize(env, len);
  const auto n = static_cast<jsize>(len);
  jbyteArray out = env->NewByteArray(n);
  CheckJni(env);  // OutOfMemoryError
  if (n > 0) env->SetByteArrayRegion(out, 0, n, static_cast<const jbyte*>(data));
  CheckJni(env);
  return out;
}

jlongArray NewLongArray(JNIEnv* env, const int64_t* data, size_t len) {
  CheckJavaArraySize(env, len);
  const auto n = static_cast<jsize>(len);
  jlongArray out = env->NewLongArray(n);
  CheckJni(env);
  if (n > 0) {
    if constexpr (std::is_same_v<jlong, int64_t>) {
      env->SetLongArrayRegion(out, 0, n, reinterpret_cast<const jlong*>(data));
    } else {
      const std::vector<jlong> tmp(data, data + len);
      env->SetLongArrayRegion(out, 0, n, tmp.data());
    }
  }
  CheckJni(env);
  return out;
}

}  // namespace sparkdl

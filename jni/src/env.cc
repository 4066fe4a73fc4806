// libsparkdl_env.so: sets TF's environment defaults. The JVM loads it *before* the TF runtime,
// because TF reads some settings (TF_ENABLE_ONEDNN_OPTS) once, while its libraries initialise.
// So it must not link TF, nor anything of ours that does: JNI and libc only.
//
// Why not setenv: this runs in a JVM that already has many threads, and glibc's getenv takes no
// lock. Before glibc 2.40, setenv grows the array it allocated last with realloc, which may free
// the array a getenv in another thread is walking (any native code may call getenv: TF's own
// threads, glibc's time zone and locale code, other JNI libraries). Instead, a default is added
// the way POSIX allows a program to change its environment, by pointing `environ` at a new
// array: old entries plus ours, published with one atomic pointer store. A getenv that loaded the
// old pointer walks the old array, which is never freed, nor are our entries (a few dozen bytes,
// once per process). Copies of this library loaded by other class loaders publish with a
// compare-and-swap, so they never lose each other's entries. What remains unsafe is what always
// was: a concurrent setenv/unsetenv by other code may drop our entry or we its (both keep every
// array they read valid); sparkdl calls this before loading TF, under NativeLibrary's lock.
#include <jni.h>
#include <stdlib.h>
#include <string.h>

#include <string>

#include "io_sparkdl_jni_NativeBindings.h"

extern char** environ;

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

// Whether `entries` (a NAME=value array) has an entry for `key`.
bool Has(char** entries, const std::string& key) {
  for (char** e = entries; e != nullptr && *e != nullptr; ++e) {
    if (strncmp(*e, key.c_str(), key.size()) == 0 && (*e)[key.size()] == '=') return true;
  }
  return false;
}

// Adds "key=value" to the environment unless `key` is set; false when out of memory.
bool AddDefault(const std::string& key, const std::string& value) {
  const std::string text = key + "=" + value;
  char* entry = nullptr;  // made once, kept forever: a published array points at it
  char** old = __atomic_load_n(&environ, __ATOMIC_ACQUIRE);
  for (;;) {
    if (Has(old, key)) {
      free(entry);  // never published
      return true;
    }
    if (entry == nullptr) {
      entry = strdup(text.c_str());
      if (entry == nullptr) return false;
    }
    size_t n = 0;
    while (old != nullptr && old[n] != nullptr) ++n;
    auto** fresh = static_cast<char**>(malloc((n + 2) * sizeof(char*)));
    if (fresh == nullptr) {
      free(entry);
      return false;
    }
    for (size_t i = 0; i < n; ++i) fresh[i] = old[i];
    fresh[n] = entry;
    fresh[n + 1] = nullptr;
    // Release: a thread that sees the new pointer sees the filled array. The old array is left
    // as it is, for whoever still walks it.
    if (__atomic_compare_exchange_n(&environ, &old, fresh, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
      return true;
    }
    free(fresh);  // another copy of this library published first: retry over its array
  }
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
  // A value the user set in the environment wins.
  if (!AddDefault(key, text)) {
    jclass oom = env->FindClass("java/lang/OutOfMemoryError");
    if (oom != nullptr) env->ThrowNew(oom, "no memory for an environment entry");
  }
}

// Tensors: allocation (fixed-size and TF_STRING), metadata, and access to their contents.
#include <climits>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "errors.h"
#include "io_sparkdl_jni_NativeBindings.h"
#include "jni_util.h"
#include "raii.h"
#include "tensorflow/c/c_api.h"

using namespace sparkdl;

namespace {

// tensorflow::TensorShape::MaxDimensions(): TF CHECK-fails (aborts the JVM) beyond it, as it
// does for negative dimensions and element counts overflowing int64.
constexpr size_t kMaxRank = 254;

struct Shape {
  std::vector<int64_t> dims;
  int64_t elements = 1;
};

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// A concrete shape TF accepts without aborting.
Shape ReadShape(JNIEnv* env, jlongArray dims) {
  Shape shape;
  shape.dims = ToInt64s(env, dims, "dims");
  if (shape.dims.size() > kMaxRank) {
    ThrowIllegalArgument(env, "dims has rank " + std::to_string(shape.dims.size()) +
                                  "; TensorFlow allows at most " + std::to_string(kMaxRank));
  }
  for (size_t i = 0; i < shape.dims.size(); ++i) {
    if (shape.dims[i] < 0) {
      ThrowIllegalArgument(env, "dims[" + std::to_string(i) + "] = " +
                                    std::to_string(shape.dims[i]) + " is negative");
    }
    if (__builtin_mul_overflow(shape.elements, shape.dims[i], &shape.elements)) {
      ThrowIllegalArgument(env, "dims " + DimsToString(shape.dims) +
                                    " has more elements than fit in 64 bits");
    }
  }
  return shape;
}

TF_Tensor* Tensor(JNIEnv* env, jlong tensor) {
  return FromHandle<TF_Tensor>(env, tensor, "tensor");
}

}  // namespace

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_tensorAllocate(JNIEnv* env, jclass,
                                                                          jint dtype,
                                                                          jlongArray dims,
                                                                          jlong byte_size) {
  return Guard(env, [&]() -> jlong {
    const auto type = static_cast<TF_DataType>(dtype);
    const auto elem_size = static_cast<int64_t>(TF_DataTypeSize(type));
    if (elem_size <= 0) {  // TF_STRING, TF_RESOURCE, TF_VARIANT or not a dtype at all
      ThrowIllegalArgument(env, "dtype " + std::to_string(dtype) + " is not a fixed-size type" +
                                    " (use tensorNewStrings for TF_STRING)");
    }
    const Shape shape = ReadShape(env, dims);
    int64_t needed = 0;
    if (__builtin_mul_overflow(shape.elements, elem_size, &needed)) {
      ThrowIllegalArgument(env, "dims " + DimsToString(shape.dims) + " of dtype " +
                                    std::to_string(dtype) + " need more than 2^63 bytes");
    }
    if (byte_size != needed) {
      ThrowIllegalArgument(env, "byteSize " + std::to_string(byte_size) + " does not match the " +
                                    std::to_string(needed) + " bytes of dims " +
                                    DimsToString(shape.dims) + " of dtype " +
                                    std::to_string(dtype));
    }
    TensorPtr t(TF_AllocateTensor(type, shape.dims.data(), static_cast<int>(shape.dims.size()),
                                  static_cast<size_t>(byte_size)));
    // TF's allocator returns null data (after logging) instead of failing.
    if (t == nullptr || (byte_size > 0 && TF_TensorData(t.get()) == nullptr)) {
      throw std::bad_alloc();
    }
    return ToHandle(t.release());
  });
}

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_tensorNewStrings(JNIEnv* env, jclass,
                                                                            jlongArray dims,
                                                                            jobjectArray values) {
  return Guard(env, [&]() -> jlong {
    const Shape shape = ReadShape(env, dims);
    const jsize n = ArrayLength(env, values, "values");
    if (n != shape.elements) {
      ThrowIllegalArgument(env, "values has " + std::to_string(n) + " elements but dims " +
                                    DimsToString(shape.dims) + " has " +
                                    std::to_string(shape.elements));
    }
    const size_t count = static_cast<size_t>(n);
    TensorPtr t(TF_AllocateTensor(TF_STRING, shape.dims.data(),
                                  static_cast<int>(shape.dims.size()), count * sizeof(TF_TString)));
    auto* strings = static_cast<TF_TString*>(t ? TF_TensorData(t.get()) : nullptr);
    if (t == nullptr || (count > 0 && strings == nullptr)) throw std::bad_alloc();
    // Every element valid (empty) before anything can fail: deleting the tensor on an error
    // below then frees exactly the strings copied so far.
    for (size_t i = 0; i < count; ++i) TF_StringInit(&strings[i]);

    std::vector<char> scratch;  // reused: one allocation for the whole batch
    for (jsize i = 0; i < n; ++i) {
      auto value = static_cast<jbyteArray>(env->GetObjectArrayElement(values, i));
      CheckJni(env);
      if (value == nullptr) {
        ThrowIllegalArgument(env, "values[" + std::to_string(i) + "] is null");
      }
      const jsize len = env->GetArrayLength(value);
      scratch.resize(static_cast<size_t>(len));
      if (len > 0) {
        env->GetByteArrayRegion(value, 0, len, reinterpret_cast<jbyte*>(scratch.data()));
      }
      env->DeleteLocalRef(value);  // keeps the local frame small however many values
      CheckJni(env);
      if (len > 0) TF_StringCopy(&strings[i], scratch.data(), static_cast<size_t>(len));
    }
    return ToHandle(t.release());
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_tensorDelete(JNIEnv* env, jclass,
                                                                       jlong tensor) {
  // For TF_STRING tensors this also frees each element's heap storage (see the report).
  Guard(env, [&] { TF_DeleteTensor(Tensor(env, tensor)); });
}

JNIEXPORT jint JNICALL Java_io_sparkdl_jni_NativeBindings_tensorType(JNIEnv* env, jclass,
                                                                     jlong tensor) {
  return Guard(env, [&]() -> jint {
    return static_cast<jint>(TF_TensorType(Tensor(env, tensor)));
  });
}

JNIEXPORT jlongArray JNICALL Java_io_sparkdl_jni_NativeBindings_tensorShape(JNIEnv* env, jclass,
                                                                            jlong tensor) {
  return Guard(env, [&]() -> jlongArray {
    const TF_Tensor* t = Tensor(env, tensor);
    const int rank = TF_NumDims(t);
    std::vector<int64_t> dims(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i) dims[static_cast<size_t>(i)] = TF_Dim(t, i);
    return NewLongArray(env, dims.data(), dims.size());
  });
}

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_tensorByteSize(JNIEnv* env, jclass,
                                                                          jlong tensor) {
  return Guard(env, [&]() -> jlong {
    return static_cast<jlong>(TF_TensorByteSize(Tensor(env, tensor)));
  });
}

JNIEXPORT jobject JNICALL Java_io_sparkdl_jni_NativeBindings_tensorData(JNIEnv* env, jclass,
                                                                        jlong tensor) {
  return Guard(env, [&]() -> jobject {
    const TF_Tensor* t = Tensor(env, tensor);
    const TF_DataType type = TF_TensorType(t);
    // TF_STRING/RESOURCE/VARIANT memory holds C++ objects, not bytes Java may touch.
    if (TF_DataTypeSize(type) == 0) {
      ThrowIllegalArgument(env, "tensorData needs a fixed-size dtype, the tensor has dtype " +
                                    std::to_string(type) +
                                    " (use tensorStrings for TF_STRING)");
    }
    const size_t size = TF_TensorByteSize(t);
    if (size > static_cast<size_t>(INT_MAX)) {
      ThrowIllegalArgument(env, "tensor of " + std::to_string(size) +
                                    " bytes exceeds the 2 GiB a ByteBuffer can view");
    }
    void* data = TF_TensorData(t);
    if (size == 0) {
      // TF may hand out null for empty tensors, which NewDirectByteBuffer can reject; any
      // valid address serves a zero-capacity view.
      static char empty;
      data = &empty;
    } else if (data == nullptr) {
      ThrowNative(env, TF_INTERNAL, "tensor of " + std::to_string(size) + " bytes has no data");
    }
    jobject buffer = env->NewDirectByteBuffer(data, static_cast<jlong>(size));
    CheckJni(env);
    if (buffer == nullptr) {
      ThrowNative(env, TF_UNIMPLEMENTED, "this JVM does not support JNI direct buffer access");
    }
    return buffer;
  });
}

JNIEXPORT jobjectArray JNICALL Java_io_sparkdl_jni_NativeBindings_tensorStrings(JNIEnv* env,
                                                                               jclass,
                                                                               jlong tensor) {
  return Guard(env, [&]() -> jobjectArray {
    const TF_Tensor* t = Tensor(env, tensor);
    if (TF_TensorType(t) != TF_STRING) {
      ThrowIllegalArgument(env, "tensorStrings needs a TF_STRING tensor, the tensor has dtype " +
                                    std::to_string(TF_TensorType(t)));
    }
    const int64_t n = TF_TensorElementCount(t);
    if (n > INT_MAX) {
      ThrowIllegalArgument(env, "string tensor of " + std::to_string(n) +
                                    " elements exceeds the Java array limit");
    }
    const auto* strings = static_cast<const TF_TString*>(TF_TensorData(t));
    if (n > 0 && (strings == nullptr ||
                  TF_TensorByteSize(t) < static_cast<size_t>(n) * sizeof(TF_TString))) {
      ThrowNative(env, TF_INTERNAL, "TF_STRING tensor buffer is smaller than its shape");
    }
    jclass byte_array = env->FindClass("[B");
    CheckJni(env);
    jobjectArray out = env->NewObjectArray(static_cast<jsize>(n), byte_array, nullptr);
    CheckJni(env);
    for (jsize i = 0; i < static_cast<jsize>(n); ++i) {
      const TF_TString* s = &strings[i];
      jbyteArray bytes = NewByteArray(env, TF_StringGetDataPointer(s), TF_StringGetSize(s));
      env->SetObjectArrayElement(out, i, bytes);
      env->DeleteLocalRef(bytes);
      CheckJni(env);
    }
    return out;
  });
}

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_tensorAddress(JNIEnv* env, jclass,
                                                                         jlong tensor) {
  return Guard(env, [&]() -> jlong {
    const TF_Tensor* t = Tensor(env, tensor);
    if (TF_DataTypeSize(TF_TensorType(t)) == 0) {
      ThrowIllegalArgument(env, "tensorAddress needs a fixed-size dtype, the tensor has dtype " +
                                    std::to_string(TF_TensorType(t)));
    }
    return static_cast<jlong>(reinterpret_cast<uintptr_t>(TF_TensorData(t)));
  });
}

namespace {

// java.nio.Buffer's fields, found once. JNI reaches them without the module system's opens.
struct BufferFields {
  jfieldID address, capacity, limit, position, mark;
};

const BufferFields* FindBufferFields(JNIEnv* env) {
  static BufferFields fields = [env] {
    BufferFields f{};
    jclass cls = env->FindClass("java/nio/Buffer");
    if (cls == nullptr) return f;
    f.address = env->GetFieldID(cls, "address", "J");
    if (f.address != nullptr) f.capacity = env->GetFieldID(cls, "capacity", "I");
    if (f.capacity != nullptr) f.limit = env->GetFieldID(cls, "limit", "I");
    if (f.limit != nullptr) f.position = env->GetFieldID(cls, "position", "I");
    if (f.position != nullptr) f.mark = env->GetFieldID(cls, "mark", "I");
    env->DeleteLocalRef(cls);
    return f;
  }();
  if (fields.mark == nullptr) {
    if (!env->ExceptionCheck()) {
      ThrowNative(env, TF_UNIMPLEMENTED, "this JVM's java.nio.Buffer has no address/capacity/"
                                         "limit/position/mark fields to clear");
    }
    throw JavaPending{};
  }
  return &fields;
}

}  // namespace

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_directBufferClear(JNIEnv* env, jclass,
                                                                            jobject buffer) {
  Guard(env, [&] {
    if (buffer == nullptr) ThrowIllegalArgument(env, "buffer is null");
    if (env->GetDirectBufferAddress(buffer) == nullptr && env->GetDirectBufferCapacity(buffer) != 0) {
      ThrowIllegalArgument(env, "buffer is not a direct buffer");
    }
    const BufferFields* f = FindBufferFields(env);
    // Bounds first: every accessor checks them before it reads the address.
    env->SetIntField(buffer, f->limit, 0);
    env->SetIntField(buffer, f->position, 0);
    env->SetIntField(buffer, f->mark, -1);
    env->SetIntField(buffer, f->capacity, 0);
    env->SetLongField(buffer, f->address, 0);
    CheckJni(env);
  });
}

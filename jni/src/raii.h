// unique_ptr owners for TF C API objects, so every early exit (a thrown JavaPending included)
// frees what the entry point allocated.
#ifndef SPARKDL_JNI_RAII_H_
#define SPARKDL_JNI_RAII_H_

#include <memory>
#include <new>
#include <vector>

#include "tensorflow/c/c_api.h"

namespace sparkdl {

template <auto DeleteFn>
struct TfDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    DeleteFn(p);
  }
};

using StatusPtr = std::unique_ptr<TF_Status, TfDeleter<&TF_DeleteStatus>>;
using BufferPtr = std::unique_ptr<TF_Buffer, TfDeleter<&TF_DeleteBuffer>>;
using SessionOptionsPtr = std::unique_ptr<TF_SessionOptions, TfDeleter<&TF_DeleteSessionOptions>>;
using ImportOptionsPtr =
    std::unique_ptr<TF_ImportGraphDefOptions, TfDeleter<&TF_DeleteImportGraphDefOptions>>;
using TensorPtr = std::unique_ptr<TF_Tensor, TfDeleter<&TF_DeleteTensor>>;

// Closes then deletes; errors are dropped since this only runs while unwinding another one.
struct SessionDeleter {
  void operator()(TF_Session* s) const noexcept {
    TF_Status* status = TF_NewStatus();
    TF_CloseSession(s, status);
    TF_DeleteSession(s, status);
    TF_DeleteStatus(status);
  }
};
using SessionPtr = std::unique_ptr<TF_Session, SessionDeleter>;

// The TF factory functions return null only on allocation failure.
template <typename Ptr>
Ptr Owned(typename Ptr::pointer p) {
  if (p == nullptr) throw std::bad_alloc();
  return Ptr(p);
}

inline StatusPtr NewStatus() { return Owned<StatusPtr>(TF_NewStatus()); }
inline BufferPtr NewBuffer() { return Owned<BufferPtr>(TF_NewBuffer()); }

// Tensors a TF_SessionRun produced; deleted unless release()d to the caller.
class TensorArray {
 public:
  explicit TensorArray(size_t n) : tensors_(n, nullptr) {}
  TensorArray(const TensorArray&) = delete;
  TensorArray& operator=(const TensorArray&) = delete;
  ~TensorArray() {
    for (TF_Tensor* t : tensors_) {
      if (t != nullptr) TF_DeleteTensor(t);
    }
  }
  TF_Tensor** data() { return tensors_.data(); }
  TF_Tensor* operator[](size_t i) const { return tensors_[i]; }
  size_t size() const { return tensors_.size(); }
  void release() { tensors_.assign(tensors_.size(), nullptr); }

 private:
  std::vector<TF_Tensor*> tensors_;
};

}  // namespace sparkdl

#endif  // SPARKDL_JNI_RAII_H_

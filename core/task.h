// Task<T>: the coroutine type every simulated kernel function returns.
//
// Why coroutines: a kernel protocol is written as straight-line code (gup_fast_pte_range() reads
// like mm/gup.c), yet every shared-memory access must be a point where the scheduler may switch
// CPUs (STYLE.md 2.2). A Task is lazily started; `co_await SomeTask(...)` transfers control to the
// callee symmetrically and resumes the caller when it finishes, so a whole simulated call stack
// suspends when its innermost frame awaits a memory operation (core/cpu.h). Only the scheduler
// (core/world.cc) resumes a CPU's coroutines, always on the calling thread.
//
// Not guaranteed: exceptions are not supported (an exception escaping a Task terminates), and a
// Task must be awaited at most once.
#ifndef PTFUZZ_CORE_TASK_H_
#define PTFUZZ_CORE_TASK_H_

#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace ptfuzz {

namespace internal {

struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
    std::coroutine_handle<> next = h.promise().continuation;
    return next ? next : std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

// Coroutine frames are allocated and freed a few dozen times per run; a per-thread free list per
// 64-byte size class makes that a pointer swap. Only memory is reused: no run can observe another
// through it (frames are fully constructed by the coroutine), so determinism is unaffected.
class FramePool {
 public:
  static constexpr size_t kGranule = 64;
  static constexpr size_t kClasses = 32;  // frames up to 2 KiB are pooled
  static void* Allocate(size_t size) {
    const size_t c = (size + kGranule - 1) / kGranule;
    if (c < kClasses) {
      Node*& head = heads()[c];
      if (head != nullptr) return std::exchange(head, head->next);
      return ::operator new(c * kGranule);
    }
    return ::operator new(size);
  }
  static void Free(void* p, size_t size) {
    const size_t c = (size + kGranule - 1) / kGranule;
    if (c < kClasses) {
      Node* n = static_cast<Node*>(p);
      n->next = heads()[c];
      heads()[c] = n;
      return;
    }
    ::operator delete(p);
  }

 private:
  struct Node {
    Node* next;
  };
  static Node** heads() {
    thread_local Node* h[kClasses] = {};
    return h;
  }
};

struct PromiseBase {
  static void* operator new(size_t size) { return FramePool::Allocate(size); }
  static void operator delete(void* p, size_t size) { FramePool::Free(p, size); }

  std::coroutine_handle<> continuation;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() const noexcept { std::terminate(); }
};

}  // namespace internal

// What Task<T> and Task<void> share: ownership of the frame and awaiting it.
template <typename Promise>
class TaskBase {
 public:
  TaskBase(TaskBase&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  TaskBase& operator=(TaskBase&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  TaskBase(const TaskBase&) = delete;
  TaskBase& operator=(const TaskBase&) = delete;
  ~TaskBase() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    handle_.promise().continuation = caller;
    return handle_;
  }

  std::coroutine_handle<> handle() const { return handle_; }
  bool valid() const { return static_cast<bool>(handle_); }
  bool done() const { return handle_.done(); }

 protected:
  TaskBase() = default;
  explicit TaskBase(std::coroutine_handle<Promise> h) : handle_(h) {}
  std::coroutine_handle<Promise> handle_;
};

template <typename T>
struct TaskPromise;

template <typename T>
class [[nodiscard]] Task : public TaskBase<TaskPromise<T>> {
 public:
  using promise_type = TaskPromise<T>;
  Task() = default;
  explicit Task(std::coroutine_handle<promise_type> h) : TaskBase<promise_type>(h) {}
  T await_resume() { return std::move(this->handle_.promise().value); }
};

template <>
class [[nodiscard]] Task<void> : public TaskBase<TaskPromise<void>> {
 public:
  using promise_type = TaskPromise<void>;
  Task() = default;
  explicit Task(std::coroutine_handle<promise_type> h) : TaskBase<promise_type>(h) {}
  void await_resume() const noexcept {}
};

template <typename T>
struct TaskPromise : internal::PromiseBase {
  T value{};
  Task<T> get_return_object() {
    return Task<T>(std::coroutine_handle<TaskPromise>::from_promise(*this));
  }
  void return_value(T v) { value = std::move(v); }
};

template <>
struct TaskPromise<void> : internal::PromiseBase {
  Task<void> get_return_object() {
    return Task<void>(std::coroutine_handle<TaskPromise>::from_promise(*this));
  }
  void return_void() const noexcept {}
};

// An operation that is one awaitable shared access on most machines and a whole coroutine on
// some (x86-PAE's split entries, arm64's contiguous blocks): awaiting it costs a coroutine frame
// only where the Task is needed, so the common path stays one suspension, as a plain access is.
// `Direct` is an awaitable whose await_suspend returns void (core/cpu.h LoadAwaiter, OpAwaiter).
template <typename Direct, typename T>
class [[nodiscard]] OpOrTask {
 public:
  OpOrTask(Direct direct) : direct_(std::move(direct)) {}  // NOLINT: either converts
  OpOrTask(Task<T> task) : task_(std::move(task)) {}       // NOLINT
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    if (task_.valid()) return task_.await_suspend(caller);
    direct_->await_suspend(caller);
    return std::noop_coroutine();  // suspend to the scheduler, as the direct awaitable does
  }
  T await_resume() {
    if constexpr (std::is_void_v<T>) {
      if (task_.valid()) return task_.await_resume();
      direct_->await_resume();
    } else {
      if (task_.valid()) return task_.await_resume();
      return direct_->await_resume();
    }
  }

 private:
  std::optional<Direct> direct_;
  Task<T> task_;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_TASK_H_

// The thread pool behind parallel_for: workers spin briefly after a job (kernels come back to back), then sleep.
#include "core/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define IBOT_PAUSE() _mm_pause()
#else
#define IBOT_PAUSE() ((void)0)
#endif

namespace ibot {
namespace {

thread_local bool t_in_worker = false;

struct InWorkerScope {
  bool saved = t_in_worker;
  InWorkerScope() { t_in_worker = true; }
  ~InWorkerScope() { t_in_worker = saved; }
};

// One parallel region. It lives on the caller's stack; workers join it only while it is published (under the mutex) and
// the caller waits for every worker to leave before returning, so a late worker never touches the next job.
struct Job {
  const RangeFn* fn;
  int64_t n, chunks;
  std::atomic<int64_t> next{0}, done{0};
  std::atomic<int> refs{0};

  void work() {
    for (;;) {
      int64_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) return;
      (*fn)(n * c / chunks, n * (c + 1) / chunks);
      done.fetch_add(1, std::memory_order_release);
    }
  }
};

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }
  ~Pool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    std::lock_guard<std::mutex> run(run_mutex_);
    stop();
    start(threads);
  }

  void run(int64_t n, int64_t grain, RangeFn fn) {
    int64_t max_chunks = (n + grain - 1) / grain;
    if (workers_.empty() || max_chunks <= 1 || t_in_worker) {
      fn(0, n);
      return;
    }
    std::lock_guard<std::mutex> run(run_mutex_);
    // A few chunks per thread balance uneven work and a busy shared machine without hurting locality much.
    Job job;
    job.fn = &fn;
    job.n = n;
    job.chunks = std::min<int64_t>(max_chunks, static_cast<int64_t>(size()) * 4);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    {
      // The caller works on the job too; a parallel_for nested in its chunks must run inline as on the workers,
      // or it would lock run_mutex_ a second time on this thread.
      InWorkerScope scope;
      job.work();
    }
    while (job.done.load(std::memory_order_acquire) < job.chunks) IBOT_PAUSE();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = nullptr;
    }
    while (job.refs.load(std::memory_order_acquire) > 0) IBOT_PAUSE();
  }

 private:
  void worker_loop() {
    t_in_worker = true;
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      // Spin ~50 us before sleeping: most kernels are followed by another within microseconds.
      auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      while (generation_.load(std::memory_order_acquire) == seen && !quit_.load(std::memory_order_acquire) &&
             std::chrono::steady_clock::now() < spin_until) {
        for (int i = 0; i < 64; ++i) IBOT_PAUSE();
      }
      Job* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen || quit_.load(); });
        if (quit_.load()) return;
        seen = generation_.load(std::memory_order_acquire);
        job = job_;
        if (job) job->refs.fetch_add(1, std::memory_order_acq_rel);
      }
      if (job) {
        job->work();
        job->refs.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  void start(int threads) {
    quit_ = false;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_, run_mutex_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> quit_{false};
  Job* job_ = nullptr;  // guarded by mutex_
};

int initial_threads() {
  if (const char* env = std::getenv("IBOT_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

Pool& pool() {
  static Pool* p = new Pool(initial_threads());  // leaked on purpose: joining threads during process exit can deadlock
  return *p;
}

}  // namespace

void parallel_for_impl(int64_t n, int64_t grain, RangeFn fn) { pool().run(n, grain, fn); }
int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n < 1 ? 1 : n); }

}  // namespace ibot

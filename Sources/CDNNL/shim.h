// oneDNN's C API, plus small inline functions for the macros Swift cannot import.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

static inline void *pw_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }

// oneDNN on Debian runs on GNU OpenMP. Its thread count is set through omp_set_num_threads,
// looked up at run time so that nothing needs libgomp's development symlink at link time.
#include <dlfcn.h>
static inline void pw_omp_set_num_threads(int n) {
    void (*f)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (f) f(n);
}

// Returns freed heap memory to the system (glibc's malloc_trim, from <malloc.h>, which Swift's
// Glibc module does not export).
#include <malloc.h>
static inline void pw_malloc_trim(void) { malloc_trim(0); }

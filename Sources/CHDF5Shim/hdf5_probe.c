// See include/CHDF5Shim.h. The walk is in C because it runs before `main` in a fresh copy of the
// program (or, if none can be started, in the forked child of a multithreaded process, where
// plain C library calls are sound and the Swift runtime, whose locks another thread may have
// held at the fork, is not).
#include "CHDF5Shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

/// The child's exit statuses when libhdf5 reported an error (and nothing crashed), and when one
/// of its errors was an allocation it could not make. Not 1, which sanitizers use when they stop
/// a process.
enum { PROBE_EXIT_LIBRARY_ERROR = 97, PROBE_EXIT_OUT_OF_MEMORY = 98 };

/// The memory a walk may use (by `RLIMIT_DATA`, or a sanitizer's largest allocation): it reads at
/// most `full_read_bytes` of values, so a file that makes libhdf5 ask for more is damaged (a
/// size field grown to 4 GB had it allocate and clear 4 GB, twice, before failing).
enum { PROBE_MEMORY_LIMIT_MB = 2048 };

/// libFuzzer registers a death callback that saves the current input as a crash; a crash of the
/// child is handled by the parent, so the child unregisters it. Present only under sanitizers.
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

typedef struct {
    /// What is left of `full_read_bytes` (datasets and attributes read in full draw on it).
    size_t full_read_bytes;
    int failed;
    /// libhdf5 could not allocate memory (within the limit) for something it read.
    int out_of_memory;
} Walk;

static herr_t note_resource_error(unsigned n, const H5E_error2_t *error, void *data) {
    (void)n;
    if (error->maj_num == H5E_RESOURCE) ((Walk *)data)->out_of_memory = 1;
    return 0;
}

/// Called by libhdf5 whenever a call fails: notes whether an allocation failed.
static herr_t note_error(hid_t stack, void *data) {
    H5Ewalk2(stack, H5E_WALK_DOWNWARD, note_resource_error, data);
    return 0;
}

/// Reads `points` values of `file_type` from an attribute or dataset through its native memory
/// type, then frees any variable-length parts libhdf5 allocated.
static void read_values(Walk *walk, hid_t object, int is_attribute, hid_t file_type, hid_t space) {
    hssize_t points = H5Sget_simple_extent_npoints(space);
    hid_t memory = H5Tget_native_type(file_type, H5T_DIR_ASCEND);
    if (memory < 0) memory = H5Tcopy(file_type);
    size_t size = memory >= 0 ? H5Tget_size(memory) : 0;
    if (points < 0 || memory < 0 || size == 0) {
        walk->failed = 1;
    } else if ((size_t)points <= walk->full_read_bytes / size) {
        walk->full_read_bytes -= (size_t)points * size;
        void *buffer = calloc(points > 0 ? (size_t)points : 1, size);
        herr_t status = -1;
        if (buffer) {
            status = is_attribute ? H5Aread(object, memory, buffer)
                                  : H5Dread(object, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
            if (status >= 0) H5Dvlen_reclaim(memory, space, H5P_DEFAULT, buffer);
        }
        free(buffer);
        if (status < 0) walk->failed = 1;
    }
    if (memory >= 0) H5Tclose(memory);
}

static herr_t visit_attribute(hid_t location, const char *name, const H5A_info_t *info, void *data) {
    (void)info;
    Walk *walk = data;
    hid_t attribute = H5Aopen(location, name, H5P_DEFAULT);
    if (attribute < 0) { walk->failed = 1; return 0; }
    hid_t type = H5Aget_type(attribute), space = H5Aget_space(attribute);
    if (type >= 0 && space >= 0) {
        read_values(walk, attribute, 1, type, space);
    } else {
        walk->failed = 1;
    }
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Aclose(attribute);
    return 0;
}

/// Every attribute, by iteration and by name (libhdf5 decodes them on both paths).
static void walk_attributes(Walk *walk, hid_t object) {
    hsize_t index = 0;
    if (H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, visit_attribute, walk) < 0) walk->failed = 1;
    H5O_info_t info;
    if (H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS) < 0) { walk->failed = 1; return; }
    for (hsize_t i = 0; i < info.num_attrs && i < 4096; i++) {
        char name[1024];
        ssize_t length = H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (length < 0) { walk->failed = 1; continue; }
        if (H5Aexists(object, name) < 0) walk->failed = 1;
    }
}

static void walk_dataset(Walk *walk, hid_t dataset) {
    hid_t type = H5Dget_type(dataset), space = H5Dget_space(dataset), plist = H5Dget_create_plist(dataset);
    if (plist >= 0) {
        int filters = H5Pget_nfilters(plist);
        for (int i = 0; i < filters && i < 32; i++) {
            unsigned flags = 0, config = 0, values[16];
            size_t count = 16;
            char name[256];
            if (H5Pget_filter2(plist, (unsigned)i, &flags, &count, values, sizeof name, name, &config) < 0) walk->failed = 1;
        }
        if (H5Pget_layout(plist) == H5D_CHUNKED) {
            hsize_t chunk[H5S_MAX_RANK];
            if (H5Pget_chunk(plist, H5S_MAX_RANK, chunk) < 0) walk->failed = 1;
        }
    } else {
        walk->failed = 1;
    }
    // For a chunked dataset this visits its whole chunk index (to add up the chunks' sizes).
    H5Dget_storage_size(dataset);
    if (type >= 0 && space >= 0) {
        read_values(walk, dataset, 0, type, space);
    } else {
        walk->failed = 1;
    }
    if (plist >= 0) H5Pclose(plist);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
}

/// Every link of a group, depth first; a damaged link or object is noted and the walk goes on,
/// so later objects (which the parent may open by name) are still visited.
static void walk_group(Walk *walk, hid_t group, int depth) {
    if (depth > 64) { walk->failed = 1; return; }
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0) { walk->failed = 1; return; }
    for (hsize_t i = 0; i < info.nlinks && i < (1u << 20); i++) {
        char name[4096];
        ssize_t length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (length < 0 || (size_t)length >= sizeof name) { walk->failed = 1; continue; }
        if (H5Lexists(group, name, H5P_DEFAULT) <= 0) { walk->failed = 1; continue; }
        H5L_info_t link;
        if (H5Lget_info(group, name, &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD) continue;
        hid_t object = H5Oopen(group, name, H5P_DEFAULT);
        if (object < 0) { walk->failed = 1; continue; }
        walk_attributes(walk, object);
        switch (H5Iget_type(object)) {
        case H5I_GROUP: walk_group(walk, object, depth + 1); break;
        case H5I_DATASET: walk_dataset(walk, object); break;
        default: break;
        }
        H5Oclose(object);
    }
}

static int walk_file(const char *path, size_t full_read_bytes) {
    Walk walk = { full_read_bytes, 0, 0 };
    H5Eset_auto2(H5E_DEFAULT, note_error, &walk);
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fclose_degree(access, H5F_CLOSE_STRONG);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, access);
    hid_t root = file >= 0 ? H5Oopen(file, "/", H5P_DEFAULT) : -1;
    if (root >= 0) {
        walk_attributes(&walk, root);
        walk_group(&walk, root, 0);
    }
    // No H5Fclose: the parent may have this file open, and libhdf5 shares one handle (and its
    // lock) between opens of a file; closing here could release the parent's lock.
    if (walk.out_of_memory) return PROBE_EXIT_OUT_OF_MEMORY;
    return root < 0 || walk.failed ? PROBE_EXIT_LIBRARY_ERROR : 0;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/// The variables that make a fresh copy of this program walk `path` and exit (see
/// `walk_when_asked`), with glibc's heap checks on when they are installed (not under a
/// sanitizer, which has its own allocator).
static char **walk_environment(const char *path, size_t full_read_bytes) {
    extern char **environ;
    if (strlen(path) > 4096) return NULL;
    size_t count = 0;
    while (environ[count]) count++;
    char **variables = calloc(count + 6, sizeof(char *));
    if (!variables) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (strncmp(environ[i], "LD_PRELOAD=", 11) && strncmp(environ[i], "MALLOC_CHECK_=", 14)) variables[n++] = environ[i];
    }
    static char walk[4200], bytes[64];
    snprintf(walk, sizeof walk, "PIXELWISE_HDF5_WALK=%s", path);
    snprintf(bytes, sizeof bytes, "PIXELWISE_HDF5_WALK_BYTES=%zu", full_read_bytes);
    variables[n++] = walk;
    variables[n++] = bytes;
    static const char debug_library[] = "/lib/x86_64-linux-gnu/libc_malloc_debug.so.0";
    if (!__sanitizer_set_death_callback && access(debug_library, R_OK) == 0) {
        variables[n++] = "LD_PRELOAD=/lib/x86_64-linux-gnu/libc_malloc_debug.so.0";
        variables[n++] = "MALLOC_CHECK_=3";
    }
    if (__sanitizer_set_death_callback) {
        // Under AddressSanitizer the memory limit is its largest allocation (RLIMIT_DATA would
        // count its shadow memory).
        static char sanitizer[1200];
        const char *given = getenv("ASAN_OPTIONS");
        snprintf(sanitizer, sizeof sanitizer, "ASAN_OPTIONS=%s%smax_allocation_size_mb=%d:allocator_may_return_null=1",
                 given ? given : "", given && *given ? ":" : "", PROBE_MEMORY_LIMIT_MB);
        for (size_t i = 0; i < n; i++) {
            if (!strncmp(variables[i], "ASAN_OPTIONS=", 13)) variables[i] = variables[--n];
        }
        variables[n++] = sanitizer;
    }
    variables[n] = NULL;
    return variables;
}

/// In the copy of the program started by `pw_h5_probe`: walks the file before `main` and exits.
__attribute__((constructor)) static void walk_when_asked(void) {
    const char *path = getenv("PIXELWISE_HDF5_WALK");
    if (!path) return;
    const char *bytes = getenv("PIXELWISE_HDF5_WALK_BYTES");
    if (!__sanitizer_set_death_callback) {
        struct rlimit limit = { (rlim_t)PROBE_MEMORY_LIMIT_MB << 20, (rlim_t)PROBE_MEMORY_LIMIT_MB << 20 };
        setrlimit(RLIMIT_DATA, &limit);
    }
    _exit(walk_file(path, bytes ? (size_t)strtoull(bytes, NULL, 10) : 0));
}

PWH5ProbeOutcome pw_h5_probe(const char *path, size_t full_read_bytes, double timeout_seconds, int *detail) {
    *detail = 0;
    // Prepared before the fork: the child of a multithreaded process should not allocate.
    char program[4096];
    ssize_t length = readlink("/proc/self/exe", program, sizeof program - 1);
    if (length > 0) program[length] = 0;
    char **environment = length > 0 ? walk_environment(path, full_read_bytes) : NULL;
    pid_t child = fork();
    if (child < 0) { *detail = errno; free(environment); return PW_H5_PROBE_NOT_RUN; }
    if (child == 0) {
        if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(NULL);
        // The parent's crash handlers (Swift's backtracer, a sanitizer's) would report the
        // child's crash as the parent's, or keep it alive; the child just dies of its signal.
        const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP, SIGSYS };
        for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], SIG_DFL);
        // glibc's "free(): invalid size" and the like are the child's, not the user's to read.
        int quiet = open("/dev/null", O_WRONLY);
        if (quiet >= 0) dup2(quiet, STDERR_FILENO);
        // A fresh copy of the program walks the file: its heap starts empty, so what happens
        // depends on the file alone (not on the parent's heap), and glibc checks every block.
        // If it cannot be started, this child walks it.
        if (environment) {
            char *arguments[] = { "pixelwise-hdf5-walk", NULL };
            execve(program, arguments, environment);
        }
        _exit(walk_file(path, full_read_bytes));
    }
    free(environment);
    double deadline = now() + timeout_seconds;
    long pause = 100000;  // ns; doubles up to 20 ms
    for (;;) {
        int status = 0;
        pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) {
            if (WIFSIGNALED(status)) { *detail = WTERMSIG(status); return PW_H5_PROBE_CRASHED; }
            int code = WEXITSTATUS(status);
            if (code == 0) return PW_H5_PROBE_CLEAN;
            if (code == PROBE_EXIT_LIBRARY_ERROR) return PW_H5_PROBE_LIBRARY_ERROR;
            if (code == PROBE_EXIT_OUT_OF_MEMORY) { *detail = PROBE_MEMORY_LIMIT_MB; return PW_H5_PROBE_OUT_OF_MEMORY; }
            *detail = 1000 + code;
            return PW_H5_PROBE_CRASHED;
        }
        if (done < 0 && errno != EINTR) { *detail = errno; return PW_H5_PROBE_NOT_RUN; }
        if (now() > deadline) {
            kill(child, SIGKILL);
            while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
            return PW_H5_PROBE_TIMED_OUT;
        }
        struct timespec wait = { 0, pause };
        nanosleep(&wait, NULL);
        if (pause < 20000000) pause *= 2;
    }
}

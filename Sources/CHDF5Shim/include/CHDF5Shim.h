// A walk of an HDF5 file's metadata in a child process, before Pixelwise opens the file itself.
//
// libhdf5 (1.10.8 in Debian 12) trusts the bytes of the files it reads. Files in the HDF5 1.10
// format (Pixelwise's model files) checksum nearly all their metadata, so damage there is an
// error; files in the original format (superblock version 0 or 1: what h5py and most tools write
// by default) have no checksums, and a damaged object header, group heap or attribute can make
// libhdf5 read or write past a buffer and take the whole process down (found by fuzz-hdf5). No
// amount of checking before the call covers every structure libhdf5 decodes, so the file is
// walked first in a child process, the way Pixelwise will read it: every object, every attribute
// read in full, every dataset's type, shape, filters and chunk index, and the data of the small
// ones. If the child dies, the file is refused with an error; the parent process never ran the
// code that failed. The child is a fresh copy of the program (`/proc/self/exe`, walking before
// `main`) with glibc's heap checks on (libc_malloc_debug, MALLOC_CHECK_=3): a write past a block
// then stops it at once, and whether it stops depends on the file, not on the parent's heap.
#ifndef PIXELWISE_CHDF5SHIM_H
#define PIXELWISE_CHDF5SHIM_H

#include <stddef.h>

/// The outcome of `pw_h5_probe`.
typedef enum {
    /// The child read everything it was asked to: the parent can open the file.
    PW_H5_PROBE_CLEAN = 0,
    /// libhdf5 reported an error in the child (an unreadable, truncated or damaged file it
    /// noticed itself): the parent opens the file and reports libhdf5's error in its own words.
    PW_H5_PROBE_LIBRARY_ERROR = 1,
    /// The child died (a signal, or a sanitizer's report): `detail` holds the signal number, or
    /// 1000 + the exit status.
    PW_H5_PROBE_CRASHED = 2,
    /// The child did not finish within the time limit (a loop in damaged metadata); it was killed.
    PW_H5_PROBE_TIMED_OUT = 3,
    /// No child could be made (fork failed; `detail` holds errno): nothing was checked.
    PW_H5_PROBE_NOT_RUN = 4,
    /// libhdf5 asked for more memory than a walk can need (`detail` holds the limit in MB): a
    /// damaged size. The child runs under that limit; the parent would have run without one.
    PW_H5_PROBE_OUT_OF_MEMORY = 5,
} PWH5ProbeOutcome;

/// Walks the HDF5 file at `path` in a forked child process (see the top of this file). Datasets
/// and attributes are read in full while the bytes read stay within `full_read_bytes` in all;
/// the others have their type, shape, filters and chunk index walked. The child is killed after `timeout_seconds`. Call it with no other thread inside
/// libhdf5 (Pixelwise holds its HDF5 lock).
PWH5ProbeOutcome pw_h5_probe(const char *path, size_t full_read_bytes, double timeout_seconds, int *detail);

#endif

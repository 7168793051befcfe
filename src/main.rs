//! The `iarss` binary: parse the command line, run it, map the result to an exit code.

use std::process::ExitCode;

// The lint and ingest paths allocate many small nodes per article; mimalloc handles that
// pattern markedly better than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_decommits` in mimalloc.h: 0 purges freed pages by reset instead of
/// decommit, so the next article reuses them without a page fault (decommitting cost 10 %
/// of lint time in kernel page clearing).
const MI_OPTION_PURGE_DECOMMITS: libmimalloc_sys::mi_option_t = 5;

fn main() -> ExitCode {
    // SAFETY: setting an allocator option is allowed at any time; nothing else runs yet.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DECOMMITS, 0) };
    iarss::cli::main()
}

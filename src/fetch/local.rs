//! Reading a feed from a local file or standard input under the same size cap as a download
//! (docs/decisions.md, decision 25): a device such as `/dev/zero` or an endless pipe stops
//! at the cap with `feed-too-large` instead of filling memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::FetchError;

/// Reads all of `reader`, failing with [`FetchError::TooLarge`] past `cap` bytes.
pub fn read_capped(reader: impl Read, cap: u64) -> Result<Vec<u8>, FetchError> {
    let mut bytes = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FetchError::Failed(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(FetchError::TooLarge(cap));
    }
    Ok(bytes)
}

/// Reads the file at `path` whole, under `cap`. A regular file larger than the cap is
/// refused before anything is read.
pub fn read_file_capped(path: &Path, cap: u64) -> Result<Vec<u8>, FetchError> {
    let file = open_capped(path, cap)?;
    read_capped(file, cap)
}

/// Opens `path` for a streaming read, refusing a regular file larger than `cap` at once;
/// wrap the file in a [`CappedReader`] for anything else (devices, pipes).
pub fn open_capped(path: &Path, cap: u64) -> Result<File, FetchError> {
    let file = File::open(path)
        .map_err(|e| FetchError::Failed(format!("cannot read {}: {e}", path.display())))?;
    if let Ok(meta) = file.metadata()
        && meta.is_file()
        && meta.len() > cap
    {
        return Err(FetchError::TooLarge(cap));
    }
    Ok(file)
}

/// A reader that fails once more than its cap has been read, and remembers that it did,
/// so a streaming parser's "read failed" can be told apart as `feed-too-large`.
#[derive(Debug)]
pub struct CappedReader<R> {
    inner: R,
    left: u64,
    exceeded: Arc<AtomicBool>,
}

impl<R: Read> CappedReader<R> {
    /// `inner`, of which at most `cap` bytes may be read.
    pub fn new(inner: R, cap: u64) -> Self {
        CappedReader {
            inner,
            left: cap,
            exceeded: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Turns true when the reader went past its cap.
    pub fn exceeded(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.exceeded)
    }
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte more than allowed tells an input that ends at the cap from a larger one.
        let want = buf
            .len()
            .min(self.left.saturating_add(1).min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.exceeded.store(true, Ordering::Relaxed);
            self.left = 0;
            return Err(io::Error::other("the input is larger than the size cap"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_input_stops_at_the_cap() {
        let zeros = io::repeat(0);
        assert!(matches!(
            read_capped(zeros, 1024),
            Err(FetchError::TooLarge(1024))
        ));
        assert_eq!(read_capped(&b"abc"[..], 3).unwrap(), b"abc");
    }

    #[test]
    fn a_capped_reader_fails_past_its_cap_and_says_so() {
        let mut r = CappedReader::new(io::repeat(b'a'), 10);
        let exceeded = r.exceeded();
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
        assert!(out.len() <= 10);
        assert!(exceeded.load(Ordering::Relaxed));

        let mut r = CappedReader::new(&b"0123456789"[..], 10);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 10);
        assert!(!r.exceeded().load(Ordering::Relaxed));
    }

    #[test]
    fn a_device_is_read_under_the_cap() {
        let path = Path::new("/dev/zero");
        if path.exists() {
            assert!(matches!(
                read_file_capped(path, 4096),
                Err(FetchError::TooLarge(4096))
            ));
        }
    }
}

//! Streaming a 200 MB generated NVD feed keeps live heap memory bounded (measured with a counting
//! global allocator; this file is its own test binary so nothing else allocates concurrently).

use mdsec_vulndb::nvd::{testgen::generate_feed, NvdStream};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
}

#[global_allocator]
static A: Counting = Counting;

struct CountBytes<R>(R, u64);
impl<R: Read> Read for CountBytes<R> {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(b)?;
        self.1 += n as u64;
        Ok(n)
    }
}

#[test]
fn nvd_stream_200mb_in_bounded_memory() {
    let record_len = mdsec_vulndb::nvd::testgen::record_json(0).len() as u64;
    let n = 200 * 1024 * 1024 / record_len + 1;
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let mut reader = CountBytes(generate_feed(n), 0);
    let mut stream = NvdStream::new(&mut reader);
    let mut count = 0u64;
    let mut kev_like = 0u64;
    for rec in &mut stream {
        let rec = rec.unwrap();
        count += 1;
        kev_like += rec.cpe_matches().count() as u64;
    }
    assert_eq!(stream.envelope().total_results, Some(n));
    drop(stream);
    let peak = PEAK.load(Relaxed) - before;
    assert_eq!(count, n);
    assert_eq!(kev_like, 2 * n);
    assert!(reader.1 >= 200 * 1024 * 1024, "streamed {} bytes", reader.1);
    // Read buffer (64 KiB) + one record (~3 KB) + one decoded record; nowhere near the 200 MB fed.
    assert!(
        peak < 4 * 1024 * 1024,
        "peak live heap {peak} bytes while streaming {} bytes",
        reader.1
    );
}

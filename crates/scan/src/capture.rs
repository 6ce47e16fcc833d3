//! Live capture on a Linux `AF_PACKET` socket (no libpcap). Receive only: the socket is never
//! written to, so listening puts no packet on the wire.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, SystemTime};

/// Largest frame kept; longer frames are cut to this (their real length is reported).
pub const MAX_FRAME_LEN: usize = 65_535 + 18;

/// pcap link types of the frames handed out.
pub const LINKTYPE_ETHERNET: u32 = 1;
pub const LINKTYPE_RAW: u32 = 101;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("interface name {0:?} is not valid")]
    BadName(String),
    #[error("no interface named {0:?} in this network namespace")]
    NoInterface(String),
    #[error("cannot open a packet socket on {interface} (needs CAP_NET_RAW): {source}")]
    Open {
        interface: String,
        source: io::Error,
    },
    #[error("{interface}: link type {hatype} (ARPHRD) is not supported; Ethernet, loopback and raw IP are")]
    LinkType { interface: String, hatype: u16 },
    #[error("reading packets from {interface}: {source}")]
    Read {
        interface: String,
        source: io::Error,
    },
}

/// One received frame.
#[derive(Debug)]
pub struct Frame<'a> {
    /// Microseconds since the Unix epoch, taken when the frame was read.
    pub ts_micros: i64,
    pub data: &'a [u8],
    /// Length on the wire (larger than `data.len()` when cut).
    pub wire_len: usize,
    /// Sent by this machine (`PACKET_OUTGOING`).
    pub outgoing: bool,
}

/// A receive-only packet socket bound to one interface.
pub struct LiveCapture {
    fd: OwnedFd,
    interface: String,
    link_type: u32,
    buf: Vec<u8>,
}

fn os_err<T>(interface: &str, r: libc::c_int, v: T) -> Result<T, CaptureError> {
    if r < 0 {
        Err(CaptureError::Open {
            interface: interface.to_string(),
            source: io::Error::last_os_error(),
        })
    } else {
        Ok(v)
    }
}

impl LiveCapture {
    /// Open a packet socket on `interface`; with `promiscuous` the interface also delivers frames
    /// not addressed to it (a mirror port).
    pub fn open(interface: &str, promiscuous: bool) -> Result<LiveCapture, CaptureError> {
        if interface.is_empty() || interface.len() >= libc::IFNAMSIZ || interface.contains('\0') {
            return Err(CaptureError::BadName(interface.chars().take(32).collect()));
        }
        let cname = std::ffi::CString::new(interface)
            .map_err(|_| CaptureError::BadName(interface.to_string()))?;
        // SAFETY: a NUL-terminated name.
        let ifindex = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if ifindex == 0 {
            return Err(CaptureError::NoInterface(interface.to_string()));
        }
        // Protocol 0: the socket receives nothing until it is bound to the one interface below.
        // SAFETY: plain socket(2); the descriptor is owned right away.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        let fd = os_err(interface, raw, ()).map(|_| unsafe { OwnedFd::from_raw_fd(raw) })?;
        let proto = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: sockaddr_ll is plain data; zeroed then filled.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto;
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: pointer and size of a live sockaddr_ll.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        os_err(interface, r, ())?;
        // The hardware type tells the link layer of the frames.
        let mut bound: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: getsockname writes at most `len` bytes into `bound`.
        let r = unsafe {
            libc::getsockname(
                fd.as_raw_fd(),
                (&mut bound as *mut libc::sockaddr_ll).cast(),
                &mut len,
            )
        };
        os_err(interface, r, ())?;
        let link_type = match bound.sll_hatype {
            libc::ARPHRD_ETHER | libc::ARPHRD_LOOPBACK => LINKTYPE_ETHERNET,
            libc::ARPHRD_NONE => LINKTYPE_RAW,
            hatype => {
                return Err(CaptureError::LinkType {
                    interface: interface.to_string(),
                    hatype,
                })
            }
        };
        if promiscuous && bound.sll_hatype == libc::ARPHRD_ETHER {
            // SAFETY: packet_mreq is plain data.
            let mut mreq: libc::packet_mreq = unsafe { std::mem::zeroed() };
            mreq.mr_ifindex = ifindex as i32;
            mreq.mr_type = libc::PACKET_MR_PROMISC as u16;
            // SAFETY: pointer and size of a live packet_mreq. The membership ends with the socket.
            let r = unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_PACKET,
                    libc::PACKET_ADD_MEMBERSHIP,
                    (&mreq as *const libc::packet_mreq).cast(),
                    std::mem::size_of::<libc::packet_mreq>() as libc::socklen_t,
                )
            };
            os_err(interface, r, ())?;
        }
        Ok(LiveCapture {
            fd,
            interface: interface.to_string(),
            link_type,
            buf: vec![0; MAX_FRAME_LEN],
        })
    }

    /// pcap link type of the frames ([`LINKTYPE_ETHERNET`] or [`LINKTYPE_RAW`]).
    pub fn link_type(&self) -> u32 {
        self.link_type
    }

    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The next frame, or `None` when none arrived within `timeout`.
    pub fn next_frame(&mut self, timeout: Duration) -> Result<Option<Frame<'_>>, CaptureError> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one live pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(None);
            }
            return Err(CaptureError::Read {
                interface: self.interface.clone(),
                source: e,
            });
        }
        if r == 0 {
            return Ok(None);
        }
        // SAFETY: sockaddr_ll is plain data.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: the buffer and address are live and their sizes are passed.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                self.buf.as_mut_ptr().cast(),
                self.buf.len(),
                libc::MSG_TRUNC | libc::MSG_DONTWAIT,
                (&mut from as *mut libc::sockaddr_ll).cast(),
                &mut len,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) {
                return Ok(None);
            }
            return Err(CaptureError::Read {
                interface: self.interface.clone(),
                source: e,
            });
        }
        let wire_len = n as usize;
        let ts_micros = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        Ok(Some(Frame {
            ts_micros,
            data: &self.buf[..wire_len.min(self.buf.len())],
            wire_len,
            outgoing: from.sll_pkttype == libc::PACKET_OUTGOING,
        }))
    }

    /// Frames the kernel dropped because the socket's buffer was full, since the last call.
    pub fn drops(&self) -> u64 {
        // SAFETY: tpacket_stats is plain data; getsockopt writes at most `len` bytes.
        unsafe {
            let mut st: libc::tpacket_stats = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
            let r = libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats).cast(),
                &mut len,
            );
            if r == 0 {
                u64::from(st.tp_drops)
            } else {
                0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_and_missing_interfaces() {
        assert!(matches!(
            LiveCapture::open("", false),
            Err(CaptureError::BadName(_))
        ));
        assert!(matches!(
            LiveCapture::open("an-interface-name-far-too-long", false),
            Err(CaptureError::BadName(_))
        ));
        assert!(matches!(
            LiveCapture::open("mdsec-none0", false),
            Err(CaptureError::NoInterface(_))
        ));
    }

    /// Frames sent over loopback show up (needs CAP_NET_RAW: fails with a clear message without).
    #[test]
    fn sees_loopback_traffic() {
        let mut cap = match LiveCapture::open("lo", false) {
            Ok(c) => c,
            Err(e) => panic!("this test needs CAP_NET_RAW (run as root or grant it): {e}"),
        };
        assert_eq!(cap.link_type(), LINKTYPE_ETHERNET);
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let marker = b"mdsec-capture-marker-7f3a";
        tx.send_to(marker, rx.local_addr().unwrap()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut seen = false;
        while std::time::Instant::now() < deadline && !seen {
            if let Some(f) = cap.next_frame(Duration::from_millis(200)).unwrap() {
                seen = f.data.windows(marker.len()).any(|w| w == marker);
            }
        }
        assert!(seen, "the marker datagram was not captured on lo");
    }
}

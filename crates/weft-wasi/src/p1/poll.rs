//! `poll_oneoff`: waiting for clocks and for standard input.
//!
//! Files, output streams and sockets are always ready (a blocking read or write on them
//! finishes without waiting for another party, or the guest accepts that it blocks), so only
//! standard input and clocks can make the call wait:
//!
//! 1. if any descriptor subscription is ready, the call returns at once with those events and
//!    any clock that has already expired;
//! 2. else, with a standard-input subscription, it waits for input until the earliest clock
//!    deadline;
//! 3. else it sleeps until the earliest deadline.
//!
//! A deadline set on the context ([`WasiCtx::set_deadline`]) bounds every wait: a call still
//! waiting when it passes ends with an [`Interrupt`](weft::TrapCode::Interrupt) trap, the
//! outcome of an epoch deadline in WebAssembly, so that a timeout stops a sleeping guest too.
//! [`wait_stdin`] and [`wait_socket`] apply the same deadline to blocking reads.
//!
//! After waiting, every clock whose deadline has passed is reported; if the monotonic clock
//! does not advance (an embedder's fixed clock), the earliest one is reported anyway, so a
//! guest's `sleep` always returns.

use super::memory::GuestMemory;
use super::table::Descriptor;
use super::types::{Errno, Fail, SysResult, clockid, eventtype, fault, misc_flags, put};
use crate::ctx::WasiCtx;
use crate::stream::InputStream;
use std::time::{Duration, Instant};

const SUBSCRIPTION_SIZE: u32 = 48;
const EVENT_SIZE: u32 = 32;

enum Kind {
    /// A clock with its deadline on the monotonic clock, in nanoseconds.
    Clock(u64),
    FdRead(u32),
    FdWrite(u32),
}

struct Subscription {
    userdata: u64,
    kind: Kind,
}

struct Event {
    userdata: u64,
    error: u16,
    kind: u8,
    nbytes: u64,
    flags: u16,
}

impl Event {
    fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        put(&mut out, 0, &self.userdata.to_le_bytes());
        put(&mut out, 8, &self.error.to_le_bytes());
        put(&mut out, 10, &[self.kind]);
        put(&mut out, 16, &self.nbytes.to_le_bytes());
        put(&mut out, 24, &self.flags.to_le_bytes());
        out
    }
}

fn read_subscription(cx: &WasiCtx, mem: &GuestMemory<'_>, at: u32) -> SysResult<Subscription> {
    let field = |offset: u32| {
        at.checked_add(offset)
            .ok_or_else(|| fault("pointer overflow"))
    };
    let userdata = mem.read_u64(at)?;
    let kind = match mem.read_u8(field(8)?)? {
        eventtype::CLOCK => {
            let id = mem.read_u32(field(16)?)?;
            let timeout = mem.read_u64(field(24)?)?;
            let flags = mem.read_u16(field(40)?)?;
            if flags & !misc_flags::SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                return Err(Errno::INVAL.into());
            }
            let absolute = flags & misc_flags::SUBSCRIPTION_CLOCK_ABSTIME != 0;
            let now = cx.monotonic_clock.now();
            let deadline = match (id, absolute) {
                (clockid::MONOTONIC, true) => timeout,
                (clockid::MONOTONIC | clockid::REALTIME, false) => now.saturating_add(timeout),
                (clockid::REALTIME, true) => {
                    let wall = u64::try_from(cx.wall_clock.now().as_nanos()).unwrap_or(u64::MAX);
                    now.saturating_add(timeout.saturating_sub(wall))
                }
                _ => return Err(Errno::INVAL.into()),
            };
            Kind::Clock(deadline)
        }
        eventtype::FD_READ => Kind::FdRead(mem.read_u32(field(16)?)?),
        eventtype::FD_WRITE => Kind::FdWrite(mem.read_u32(field(16)?)?),
        _ => return Err(Errno::INVAL.into()),
    };
    Ok(Subscription { userdata, kind })
}

pub(super) fn poll_oneoff(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    subscriptions: u32,
    events: u32,
    count: u32,
    nevents: u32,
) -> SysResult<()> {
    if count == 0 {
        // Waiting for nothing would wait forever.
        return Err(Errno::INVAL.into());
    }
    mem.charge(u64::from(count) * u64::from(SUBSCRIPTION_SIZE + EVENT_SIZE))?;
    let sub_len = count
        .checked_mul(SUBSCRIPTION_SIZE)
        .ok_or_else(|| fault("subscription array past the end of memory"))?;
    let event_len = count
        .checked_mul(EVENT_SIZE)
        .ok_or_else(|| fault("event array past the end of memory"))?;
    if !subscriptions.is_multiple_of(8) || !events.is_multiple_of(8) {
        return Err(fault("subscription or event array not aligned to 8"));
    }
    mem.slice(subscriptions, sub_len)?;
    mem.slice(events, event_len)?;

    let subs = (0..count)
        .map(|i| read_subscription(cx, mem, subscriptions + i * SUBSCRIPTION_SIZE))
        .collect::<SysResult<Vec<_>>>()?;

    let mut ready: Vec<(usize, Event)> = Vec::new();
    let mut stdin_waiters: Vec<(usize, u32)> = Vec::new();
    let mut earliest: Option<u64> = None;
    for (i, sub) in subs.iter().enumerate() {
        let event = |kind, nbytes, flags| Event {
            userdata: sub.userdata,
            error: 0,
            kind,
            nbytes,
            flags,
        };
        match sub.kind {
            Kind::Clock(deadline) => {
                earliest = Some(earliest.map_or(deadline, |e| e.min(deadline)));
            }
            Kind::FdRead(fd) => match cx.fds.get(fd)? {
                Descriptor::Stdin(_) => stdin_waiters.push((i, fd)),
                Descriptor::File(f) => {
                    let left = f.file.metadata()?.len().saturating_sub(f.position);
                    let flags = if left == 0 {
                        misc_flags::FD_READWRITE_HANGUP
                    } else {
                        0
                    };
                    ready.push((i, event(eventtype::FD_READ, left, flags)));
                }
                Descriptor::TcpStream(_) | Descriptor::TcpListener(_) => {
                    ready.push((i, event(eventtype::FD_READ, 1, 0)));
                }
                _ => return Err(Errno::BADF.into()),
            },
            Kind::FdWrite(fd) => match cx.fds.get(fd)? {
                Descriptor::Stdout(_)
                | Descriptor::Stderr(_)
                | Descriptor::File(_)
                | Descriptor::TcpStream(_) => ready.push((i, event(eventtype::FD_WRITE, 1, 0))),
                _ => return Err(Errno::BADF.into()),
            },
        }
    }

    let now = cx.monotonic_clock.now();
    if ready.is_empty() {
        let timeout = earliest.map(|d| Duration::from_nanos(d.saturating_sub(now)));
        // The context's deadline cuts the wait short; reaching it ends the call.
        let to_deadline = cx
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()));
        let cut_short = to_deadline.is_some_and(|d| timeout.is_none_or(|t| d < t));
        let wait = match (timeout, to_deadline) {
            (Some(t), Some(d)) => Some(t.min(d)),
            (t, d) => t.or(d),
        };
        if let Some(&(_, fd)) = stdin_waiters.first() {
            let input_ready = match cx.fds.get_mut(fd)? {
                Descriptor::Stdin(stream) => stream.wait_readable(wait),
                _ => true,
            };
            if !input_ready && cut_short {
                return Err(interrupted());
            }
            if input_ready {
                for &(i, _) in &stdin_waiters {
                    if let Some(sub) = subs.get(i) {
                        ready.push((
                            i,
                            Event {
                                userdata: sub.userdata,
                                error: 0,
                                kind: eventtype::FD_READ,
                                nbytes: 1,
                                flags: 0,
                            },
                        ));
                    }
                }
            }
        } else if let Some(wait) = wait {
            std::thread::sleep(wait);
            if cut_short {
                return Err(interrupted());
            }
        }
    }

    let after = cx.monotonic_clock.now();
    let clocks = subs
        .iter()
        .enumerate()
        .filter_map(|(i, sub)| match sub.kind {
            Kind::Clock(deadline) => Some((i, sub.userdata, deadline)),
            _ => None,
        });
    let mut expired: Vec<(usize, u64)> = clocks
        .clone()
        .filter(|&(_, _, deadline)| deadline <= after)
        .map(|(i, userdata, _)| (i, userdata))
        .collect();
    if ready.is_empty() && expired.is_empty() {
        // The clock did not move (an embedder's fixed clock): the earliest deadline is due.
        if let Some((i, userdata, _)) = clocks.min_by_key(|&(_, _, deadline)| deadline) {
            expired.push((i, userdata));
        }
    }
    for (i, userdata) in expired {
        ready.push((
            i,
            Event {
                userdata,
                error: 0,
                kind: eventtype::CLOCK,
                nbytes: 0,
                flags: 0,
            },
        ));
    }
    ready.sort_by_key(|&(i, _)| i);

    for (n, (_, event)) in ready.iter().enumerate() {
        mem.write(events + n as u32 * EVENT_SIZE, &event.to_bytes(), 8)?;
    }
    mem.write_u32(nevents, ready.len() as u32)
}

/// The end of a host call that reached the context's deadline: an interrupt trap, as when
/// the epoch deadline is reached in WebAssembly.
#[cold]
pub(super) fn interrupted() -> Fail {
    Fail::Host(weft::Error::from(weft::TrapCode::Interrupt))
}

/// Waits until a read from `stream` would not block, or until `deadline` (an interrupt).
/// Without a deadline the read itself blocks as long as it takes.
pub(super) fn wait_stdin(stream: &mut dyn InputStream, deadline: Option<Instant>) -> SysResult<()> {
    let Some(deadline) = deadline else {
        return Ok(());
    };
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if stream.wait_readable(Some(left)) {
            return Ok(());
        }
        if left.is_zero() {
            return Err(interrupted());
        }
    }
}

/// Waits until a socket has input (or a connection to accept), or until `deadline` (an
/// interrupt). A socket in non-blocking mode does not wait: its call reports `EAGAIN`.
#[cfg(unix)]
pub(super) fn wait_socket(
    socket: &impl std::os::fd::AsFd,
    deadline: Option<Instant>,
) -> SysResult<()> {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let Some(deadline) = deadline else {
        return Ok(());
    };
    let nonblocking = rustix::fs::fcntl_getfl(socket)
        .is_ok_and(|flags| flags.contains(rustix::fs::OFlags::NONBLOCK));
    if nonblocking {
        return Ok(());
    }
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = Timespec {
            tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        let mut fds = [PollFd::new(socket, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(0) if left.is_zero() => return Err(interrupted()),
            Ok(0) | Err(rustix::io::Errno::INTR) => {}
            // Ready, or an error the call itself will report.
            _ => return Ok(()),
        }
    }
}

#[cfg(not(unix))]
pub(super) fn wait_socket<S>(_socket: &S, _deadline: Option<Instant>) -> SysResult<()> {
    Ok(())
}

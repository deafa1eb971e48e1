//! Sockets: preview 1 can only use sockets it was granted
//! ([`WasiCtxBuilder::preopened_tcp_listener`](crate::WasiCtxBuilder::preopened_tcp_listener))
//! and the connections accepted on them. Other descriptors are `ENOTSOCK`.

#![allow(
    clippy::too_many_arguments,
    reason = "each function takes the arguments of its WASI signature"
)]

use super::flags;
use super::memory::{GuestMemory, IO_CHUNK};
use super::poll::wait_socket;
use super::table::Descriptor;
use super::types::{Errno, SysResult, fdflags, misc_flags};
use crate::ctx::WasiCtx;
use std::io::{Read, Write};
use std::net::Shutdown;

pub(super) fn sock_accept(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags_value: u32,
    accepted: u32,
) -> SysResult<()> {
    let flags_value = flags("Fdflags", flags_value, fdflags::ALL)?;
    let stream = match cx.fds.get(fd)? {
        Descriptor::TcpListener(listener) => {
            wait_socket(listener, cx.deadline)?;
            listener.accept()?.0
        }
        _ => return Err(Errno::NOTSOCK.into()),
    };
    stream.set_nonblocking(flags_value & fdflags::NONBLOCK != 0)?;
    let new_fd = cx.fds.push(Descriptor::TcpStream(stream))?;
    mem.write_u32(accepted, new_fd)
}

pub(super) fn sock_recv(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    ri_data: u32,
    ri_data_len: u32,
    ri_flags: u32,
    ro_datalen: u32,
    ro_flags: u32,
) -> SysResult<()> {
    let ri_flags = flags(
        "Riflags",
        ri_flags,
        misc_flags::RECV_PEEK | misc_flags::RECV_WAITALL,
    )?;
    let iovs = mem.iovecs(ri_data, ri_data_len)?;
    let Descriptor::TcpStream(stream) = cx.fds.get_mut(fd)? else {
        return Err(Errno::NOTSOCK.into());
    };
    wait_socket(stream, cx.deadline)?;
    let wanted: u64 = iovs.iter().map(|v| u64::from(v.len)).sum();
    let wanted = wanted.min(IO_CHUNK as u64);
    mem.charge(wanted)?;
    let mut buf = vec![0u8; wanted as usize];
    let n = if ri_flags & misc_flags::RECV_PEEK != 0 {
        stream.peek(&mut buf)?
    } else if ri_flags & misc_flags::RECV_WAITALL != 0 {
        let mut filled = 0;
        while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
            if filled > 0 {
                wait_socket(stream, cx.deadline)?;
            }
            match stream.read(rest)? {
                0 => break,
                n => filled += n,
            }
        }
        filled
    } else {
        stream.read(&mut buf)?
    };
    let placed = mem.scatter(&iovs, buf.get(..n).unwrap_or_default())?;
    mem.write_u32(ro_datalen, placed as u32)?;
    mem.write_u16(ro_flags, 0)
}

pub(super) fn sock_send(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    si_data: u32,
    si_data_len: u32,
    si_flags: u32,
    so_datalen: u32,
) -> SysResult<()> {
    flags("Siflags", si_flags, 0u16)?;
    let iovs = mem.iovecs(si_data, si_data_len)?;
    let Descriptor::TcpStream(stream) = cx.fds.get_mut(fd)? else {
        return Err(Errno::NOTSOCK.into());
    };
    let data = mem.gather(&iovs)?;
    let n = stream.write(&data)?;
    mem.write_u32(so_datalen, n as u32)
}

pub(super) fn sock_shutdown(
    cx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    how: u32,
) -> SysResult<()> {
    let how = flags("Sdflags", how, misc_flags::SHUT_RD | misc_flags::SHUT_WR)?;
    let Descriptor::TcpStream(stream) = cx.fds.get(fd)? else {
        return Err(Errno::NOTSOCK.into());
    };
    let how = match how {
        misc_flags::SHUT_RD => Shutdown::Read,
        misc_flags::SHUT_WR => Shutdown::Write,
        0 => return Err(Errno::INVAL.into()),
        _ => Shutdown::Both,
    };
    stream.shutdown(how)?;
    Ok(())
}

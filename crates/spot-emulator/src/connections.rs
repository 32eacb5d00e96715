//! Connections the emulator can sever (the `drop_connections` fault): a listener whose streams
//! carry a cut switch, registered by peer address, so a middleware can close the connection of
//! the request it is handling without any answer (the client sees the connection close before
//! a response, like a dropped connection on the internet).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Open connections by peer address.
#[derive(Debug, Default)]
pub struct Connections {
    open: Mutex<HashMap<SocketAddr, Arc<AtomicBool>>>,
}

impl Connections {
    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Arc<AtomicBool>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Severs the connection from `peer`: nothing more is written to it and it closes. False
    /// when there is no such connection (in-process routers have none).
    pub fn cut(&self, peer: SocketAddr) -> bool {
        match self.open().get(&peer) {
            Some(switch) => {
                switch.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}

/// A TCP listener whose connections can be cut through [`Connections`].
#[derive(Debug)]
pub struct SeverableListener {
    inner: TcpListener,
    connections: Arc<Connections>,
}

impl SeverableListener {
    pub fn new(inner: TcpListener, connections: Arc<Connections>) -> SeverableListener {
        SeverableListener { inner, connections }
    }
}

impl axum::serve::Listener for SeverableListener {
    type Io = Severable;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Severable, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    let cut = Arc::new(AtomicBool::new(false));
                    self.connections.open().insert(peer, cut.clone());
                    let io = Severable {
                        stream,
                        cut,
                        peer,
                        connections: self.connections.clone(),
                    };
                    return (io, peer);
                }
                Err(error) => {
                    // Like axum's own listener: out of file descriptors and the like pass.
                    tracing::warn!(%error, "emulator accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that fails every write and reads end-of-file once cut.
#[derive(Debug)]
pub struct Severable {
    stream: TcpStream,
    cut: Arc<AtomicBool>,
    peer: SocketAddr,
    connections: Arc<Connections>,
}

impl Severable {
    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::Relaxed)
    }
}

impl Drop for Severable {
    fn drop(&mut self) {
        let mut open = self.connections.open();
        // Only this connection's entry: the port may already serve a new connection.
        if open.get(&self.peer).is_some_and(|c| Arc::ptr_eq(c, &self.cut)) {
            open.remove(&self.peer);
        }
    }
}

impl AsyncRead for Severable {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Severable {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.is_cut() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

//! Raw HTTP/1.1 over TCP: requests byte for byte under the test's control.

use std::net::SocketAddr;

use super::READY_WITHIN;

/// Sends `request` as raw bytes on a fresh connection, as a misbehaving client would, and reads
/// until the server closes the connection.
///
/// # Panics
/// When the connection fails or the server keeps it open for more than [`READY_WITHIN`].
pub async fn raw_exchange(address: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(request).await.expect("request sent");
    let mut answer = Vec::new();
    tokio::time::timeout(READY_WITHIN, stream.read_to_end(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("{address}: connection still open after {READY_WITHIN:?}"))
        .expect("answer read");
    String::from_utf8_lossy(&answer).into_owned()
}

/// One client connection kept alive across requests, spoken to in raw HTTP/1.1: what a load
/// generator or a sidecar's pool does, byte for byte under the test's control.
pub struct RawConnection {
    stream: tokio::net::TcpStream,
    received: Vec<u8>,
}

/// An answer read on a [`RawConnection`].
#[derive(Debug)]
pub struct RawAnswer {
    /// The status line and headers, as sent.
    pub head: String,
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0)
    }

    /// The first value of header `name` (any case), or "".
    pub fn header(&self, name: &str) -> &str {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .find(|(field, _)| field.trim().eq_ignore_ascii_case(name))
            .map_or("", |(_, value)| value.trim())
    }
}

impl RawConnection {
    /// Connects to `address`.
    ///
    /// # Panics
    /// When the connection is refused.
    pub async fn open(address: SocketAddr) -> Self {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        Self {
            stream,
            received: Vec::new(),
        }
    }

    /// Sends `request` and reads one answer (its head and a `Content-Length` body), or `None`
    /// when the connection ends first: a request that got no answer.
    ///
    /// # Panics
    /// When no whole answer or end comes within [`READY_WITHIN`].
    pub async fn exchange(&mut self, request: &[u8]) -> Option<RawAnswer> {
        self.send(request).await?;
        self.answer().await
    }

    /// Sends `bytes` (one request, part of one, or several pipelined) without reading; `None`
    /// when the connection is already closed.
    pub async fn send(&mut self, bytes: &[u8]) -> Option<()> {
        use tokio::io::AsyncWriteExt;

        self.stream.write_all(bytes).await.ok()
    }

    /// Reads the next answer (its head and a `Content-Length` body), or `None` when the
    /// connection ends first.
    ///
    /// # Panics
    /// When no whole answer or end comes within [`READY_WITHIN`].
    pub async fn answer(&mut self) -> Option<RawAnswer> {
        tokio::time::timeout(READY_WITHIN, self.read_answer())
            .await
            .unwrap_or_else(|_| panic!("no answer nor end within {READY_WITHIN:?}"))
    }

    /// Whether the server closes the connection, with nothing more sent, within [`READY_WITHIN`].
    pub async fn closed_by_server(&mut self) -> bool {
        use tokio::io::AsyncReadExt;

        let mut rest = Vec::new();
        matches!(
            tokio::time::timeout(READY_WITHIN, self.stream.read_to_end(&mut rest)).await,
            Ok(Ok(0))
        ) && self.received.is_empty()
    }

    async fn read_answer(&mut self) -> Option<RawAnswer> {
        let head_end = loop {
            if let Some(at) = self
                .received
                .windows(4)
                .position(|bytes| bytes == b"\r\n\r\n")
            {
                break at + 4;
            }
            self.read_more().await?;
        };
        let head = String::from_utf8_lossy(&self.received[..head_end]).into_owned();
        let mut answer = RawAnswer {
            head,
            body: Vec::new(),
        };
        let length: usize = answer.header("content-length").parse().unwrap_or(0);
        while self.received.len() < head_end + length {
            self.read_more().await?;
        }
        answer.body = self.received[head_end..head_end + length].to_vec();
        self.received.drain(..head_end + length);
        Some(answer)
    }

    /// Reads what has arrived; `None` at the connection's end.
    async fn read_more(&mut self) -> Option<()> {
        use tokio::io::AsyncReadExt;

        let mut chunk = [0; 4096];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => None,
            Ok(read) => {
                self.received.extend_from_slice(&chunk[..read]);
                Some(())
            }
        }
    }
}

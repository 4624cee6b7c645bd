//! One client connection. The reader decodes frames and runs each request's
//! ordered part (validation, queueing for a flush) before reading the next,
//! so batches of one connection are queued in request order. The waiting
//! part (flush acknowledgement, long-poll) runs as its own task; the writer
//! sends responses strictly in request order, as Kafka requires. At most
//! `connection_in_flight_requests_max` responses are outstanding.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::dispatch::{self, Reply};
use crate::Broker;

pub async fn run(socket: TcpStream, peer: SocketAddr, broker: Arc<Broker>) {
    let (mut rd, wr) = socket.into_split();
    let (tx, mut rx) = mpsc::channel::<JoinHandle<Reply>>(broker.config.connection_in_flight_requests_max);

    let writer = tokio::spawn(async move {
        let mut wr = BufWriter::new(wr);
        while let Some(pending) = rx.recv().await {
            let reply = pending.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "request task failed; closing connection");
                Reply::Close
            });
            match reply {
                Reply::Frame(frame) => {
                    if wr.write_all(&frame).await.is_err() {
                        return;
                    }
                    // Flush when no further response is ready, batching writes under load.
                    if rx.is_empty() && wr.flush().await.is_err() {
                        return;
                    }
                }
                Reply::None => {}
                Reply::Close => {
                    let _ = wr.flush().await;
                    return;
                }
            }
        }
        let _ = wr.flush().await;
    });

    let limit = broker.config.socket_request_max_bytes;
    loop {
        let mut prefix = [0u8; 4];
        if rd.read_exact(&mut prefix).await.is_err() {
            break;
        }
        let length = match oxbow_codec::frame::check_frame_length(prefix, limit) {
            Ok(l) => l,
            Err(e) => {
                tracing::info!(%peer, error = %e, "closing connection");
                break;
            }
        };
        let mut frame = vec![0u8; length];
        if rd.read_exact(&mut frame).await.is_err() {
            break;
        }
        let reply = dispatch::dispatch(&broker, Bytes::from(frame), peer).await;
        let close = matches!(reply, dispatch::Started::Close);
        let handle = match reply {
            dispatch::Started::Deferred(fut) => tokio::spawn(fut),
            dispatch::Started::Close => tokio::spawn(async { Reply::Close }),
        };
        if tx.send(handle).await.is_err() || close {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}

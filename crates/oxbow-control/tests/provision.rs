//! The in-process provisioner with real listeners: start, grow, shrink,
//! crash detection and replacement on the same port, stop with data removal.

use std::collections::BTreeMap;
use std::time::Duration;

use oxbow_broker::security::Protocol;
use oxbow_control::provision::{ClusterSpec, InProcess, Provisioner};

async fn answers(addr: std::net::SocketAddr) -> bool {
    matches!(tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr)).await, Ok(Ok(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_and_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let p = InProcess::default();
    let mut spec = ClusterSpec {
        id: "c1".into(),
        data_dir: dir.path().join("c1"),
        broker_count: 2,
        ports: BTreeMap::new(),
        server_properties: vec![("num.partitions".into(), "3".into())],
        listeners: vec![Protocol::Plaintext],
    };
    let eps = p.apply(&spec).await.unwrap();
    assert_eq!(eps.iter().map(|e| e.broker_id).collect::<Vec<_>>(), vec![1, 2]);
    for e in &eps {
        assert!(answers(e.addr).await);
        assert!(e.addr.ip().is_loopback());
    }
    assert!(p.unhealthy("c1").await.is_empty());
    assert_eq!(p.local_brokers("c1").await.len(), 2);

    p.crash_broker_for_tests("c1", 2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(p.unhealthy("c1").await, vec![2]);
    p.reboot("c1", 2).await.unwrap();
    assert!(p.unhealthy("c1").await.is_empty());
    let again = p.apply(&spec).await.unwrap();
    assert_eq!(again, eps, "a replaced broker keeps its port");

    spec.broker_count = 3;
    let grown = p.apply(&spec).await.unwrap();
    assert_eq!(grown.len(), 3);
    assert_eq!(&grown[..2], &eps[..]);
    spec.broker_count = 1;
    let shrunk = p.apply(&spec).await.unwrap();
    assert_eq!(shrunk, eps[..1].to_vec());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!answers(grown[2].addr).await);

    spec.server_properties = vec![("no.such.config".into(), "1".into())];
    assert!(p.apply(&spec).await.is_err(), "unknown configs are refused");

    p.stop("c1", true).await.unwrap();
    assert!(!dir.path().join("c1").exists());
    assert!(p.unhealthy("c1").await.is_empty());
}

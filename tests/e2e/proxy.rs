//! Reaching the Bot API through a proxy, as a deployment behind Vietnam's filtering does: an HTTP
//! proxy and a SOCKS5 proxy run in the test itself (each asking for a user and password when told
//! to), and `loa serve` as a process of its own configured by `telegram.proxy` or by the usual
//! variables (ALL_PROXY, HTTPS_PROXY). Every test checks that the Bot API calls went through the
//! proxy, that the cells got their pack, and that the proxy's password is nowhere in the logs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Http,
    Socks5,
}

/// What a proxy saw.
#[derive(Default)]
struct Seen {
    /// The destination of each connection it carried ("host:port").
    carried: Vec<String>,
    /// Connections it refused for a missing or wrong user/password.
    refused: usize,
}

/// A forward proxy on 127.0.0.1: HTTP (CONNECT tunnels and absolute-form requests) or SOCKS5
/// (RFC 1928 CONNECT, with RFC 1929 user/password when `auth` is set).
struct TestProxy {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestProxy {
    async fn start(kind: Kind, auth: Option<(&str, &str)>) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let auth = auth.map(|(u, p)| (u.to_string(), p.to_string()));
        let task = {
            let seen = seen.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let (seen, auth) = (seen.clone(), auth.clone());
                    tokio::spawn(async move {
                        let _ = match kind {
                            Kind::Http => http_proxy(client, auth, seen).await,
                            Kind::Socks5 => socks5_proxy(client, auth, seen).await,
                        };
                    });
                }
            })
        };
        TestProxy { addr, seen, task }
    }

    fn carried(&self) -> Vec<String> {
        self.seen.lock().unwrap().carried.clone()
    }

    fn refused(&self) -> usize {
        self.seen.lock().unwrap().refused
    }
}

/// Reads a request head (up to the blank line) byte by byte, so nothing after it is consumed.
async fn read_head(s: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(b[0]);
        if head.len() > 64 * 1024 {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

async fn http_proxy(
    mut client: TcpStream,
    auth: Option<(String, String)>,
    seen: Arc<Mutex<Seen>>,
) -> std::io::Result<()> {
    use base64::Engine;
    let head = read_head(&mut client).await?;
    let mut lines = head.split("\r\n");
    let request = lines.next().unwrap_or_default().to_string();
    let mut parts = request.split(' ');
    let (method, target, version) =
        (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if let Some((user, pass)) = &auth {
        let want = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")));
        let given = head
            .split("\r\n")
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("proxy-authorization")))
            .map(|(_, v)| v.trim().to_string());
        if given.as_deref() != Some(want.as_str()) {
            seen.lock().unwrap().refused += 1;
            client
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await?;
            return Ok(());
        }
    }
    if method == "CONNECT" {
        let mut upstream = TcpStream::connect(target).await?;
        seen.lock().unwrap().carried.push(target.to_string());
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    // an absolute-form request: "POST http://host:port/path HTTP/1.1", sent on in origin form
    // without the proxy's own header; the rest of the connection is carried as it comes
    let rest = target.strip_prefix("http://").ok_or(std::io::ErrorKind::InvalidData)?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut upstream = TcpStream::connect(host).await?;
    seen.lock().unwrap().carried.push(host.to_string());
    let mut out = format!("{method} {path} {version}\r\n");
    for l in lines.filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("proxy-")) {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    upstream.write_all(out.as_bytes()).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

async fn socks5_proxy(
    mut client: TcpStream,
    auth: Option<(String, String)>,
    seen: Arc<Mutex<Seen>>,
) -> std::io::Result<()> {
    let mut hello = [0u8; 2];
    client.read_exact(&mut hello).await?;
    if hello[0] != 5 {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let mut methods = vec![0u8; usize::from(hello[1])];
    client.read_exact(&mut methods).await?;
    let want = if auth.is_some() { 2 } else { 0 };
    if !methods.contains(&want) {
        seen.lock().unwrap().refused += 1;
        client.write_all(&[5, 0xff]).await?;
        return Ok(());
    }
    client.write_all(&[5, want]).await?;
    if let Some((user, pass)) = &auth {
        let mut v = [0u8; 2];
        client.read_exact(&mut v).await?;
        let mut u = vec![0u8; usize::from(v[1])];
        client.read_exact(&mut u).await?;
        let mut plen = [0u8; 1];
        client.read_exact(&mut plen).await?;
        let mut p = vec![0u8; usize::from(plen[0])];
        client.read_exact(&mut p).await?;
        if u != user.as_bytes() || p != pass.as_bytes() {
            seen.lock().unwrap().refused += 1;
            client.write_all(&[1, 1]).await?;
            return Ok(());
        }
        client.write_all(&[1, 0]).await?;
    }
    let mut req = [0u8; 4];
    client.read_exact(&mut req).await?;
    if req[0] != 5 || req[1] != 1 {
        client.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    }
    let host = match req[3] {
        1 => {
            let mut a = [0u8; 4];
            client.read_exact(&mut a).await?;
            std::net::Ipv4Addr::from(a).to_string()
        }
        3 => {
            let mut n = [0u8; 1];
            client.read_exact(&mut n).await?;
            let mut name = vec![0u8; usize::from(n[0])];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => {
            client.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
            return Ok(());
        }
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    let Ok(mut upstream) = TcpStream::connect(&target).await else {
        client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    };
    seen.lock().unwrap().carried.push(target);
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// `loa serve` as a process against `sim` with `env` added, its log kept; five cells and a pack
/// for them. Returns when every cell has the pack (or fails after a minute), with the log so far.
async fn deliver_through(env: &[(&str, String)], proxy: &TestProxy) -> String {
    let sim = loa::sim::Sim::start_default().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/data/loa.db", dir.path().display());
    let pool = loa::db::open(&db).await.unwrap();
    let chats = crate::harness::private_cells(&sim, &pool, "PX", "Ba Bể", 5).await;
    crate::harness::schedule_report_pack(&pool, &db, "Định hướng qua proxy").await;
    let mut cmd = crate::harness::serve_process(dir.path(), &sim, &db, 30, "127.0.0.1:0");
    cmd.env("RUST_LOG", "info").stderr(std::process::Stdio::piped());
    for var in
        ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]
    {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let (log, reading) = crate::harness::keep_log(child.stderr.take().unwrap());
    let reached = sim
        .wait_until(Duration::from_secs(60), |s| {
            chats.iter().all(|c| {
                s.bot_messages(*c).iter().any(|m| m.text().is_some_and(|t| t.contains("Định hướng qua proxy")))
            })
        })
        .await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), reading).await;
    let log = log.lock().unwrap().clone();
    assert!(
        reached,
        "the cells did not get the pack through the proxy; proxy refused {}; log:\n{log}",
        proxy.refused()
    );
    // every connection to the Bot API went through the proxy, to the simulator
    let sim_addr = sim.url().trim_start_matches("http://").trim_end_matches('/').to_string();
    let carried = proxy.carried();
    assert!(!carried.is_empty(), "nothing went through the proxy");
    assert!(carried.iter().all(|t| *t == sim_addr), "{carried:?} vs {sim_addr}");
    for c in &chats {
        assert_eq!(
            sim.bot_messages(*c)
                .iter()
                .filter(|m| m.text().is_some_and(|t| t.contains("Định hướng qua proxy")))
                .count(),
            1
        );
    }
    log
}

/// The case: `ALL_PROXY=socks5://...` used to fail without a word (reqwest was built
/// without SOCKS); now the pack goes through it, and the log says which route Loa took.
#[tokio::test]
async fn all_proxy_socks5_from_the_environment_carries_the_bot_api() {
    let proxy = TestProxy::start(Kind::Socks5, None).await;
    let log = deliver_through(&[("ALL_PROXY", format!("socks5://{}", proxy.addr))], &proxy).await;
    assert!(log.contains("through the environment's proxy variables (ALL_PROXY=socks5://"), "{log}");
}

/// `telegram.proxy` with a SOCKS5 proxy that asks for a user and password (the name looked up by
/// the proxy, socks5h); the key wins over a variable pointing elsewhere, and the password is kept
/// out of the log.
#[tokio::test]
async fn the_proxy_key_with_a_socks5_password_wins_over_the_variables_and_hides_the_password() {
    let proxy = TestProxy::start(Kind::Socks5, Some(("tuyengiao", "mk-Socks-8841"))).await;
    let url = format!("socks5h://tuyengiao:mk-Socks-8841@{}", proxy.addr);
    let env = [("LOA_TELEGRAM__PROXY", url), ("ALL_PROXY", "socks5://127.0.0.1:9".to_string())];
    let log = deliver_through(&env, &proxy).await;
    assert_eq!(proxy.refused(), 0);
    assert!(log.contains("through the proxy socks5h://tuyengiao:***@"), "{log}");
    assert!(!log.contains("mk-Socks-8841"), "the password is in the log:\n{log}");
}

/// An HTTP proxy with Basic authentication, by `telegram.proxy`, and the same through
/// HTTP_PROXY (the simulator speaks plain HTTP, so requests go in absolute form).
#[tokio::test]
async fn an_http_proxy_with_basic_auth_by_the_key_and_by_http_proxy() {
    let proxy = TestProxy::start(Kind::Http, Some(("btg", "mk-Http-5521"))).await;
    let url = format!("http://btg:mk-Http-5521@{}", proxy.addr);
    let log = deliver_through(&[("LOA_TELEGRAM__PROXY", url.clone())], &proxy).await;
    assert_eq!(proxy.refused(), 0);
    assert!(!log.contains("mk-Http-5521"), "{log}");
    let proxy = TestProxy::start(Kind::Http, Some(("btg", "mk-Http-5521"))).await;
    let url = format!("http://btg:mk-Http-5521@{}", proxy.addr);
    let log = deliver_through(&[("HTTP_PROXY", url)], &proxy).await;
    assert_eq!(proxy.refused(), 0);
    assert!(log.contains("HTTP_PROXY=http://btg:***@") && !log.contains("mk-Http-5521"), "{log}");
}

/// A wrong password: the proxy refuses, Loa keeps trying and says it cannot reach the Bot API
/// (without the password); "direct" ignores the variables altogether.
#[tokio::test]
async fn a_refused_proxy_is_reported_and_direct_ignores_the_variables() {
    let proxy = TestProxy::start(Kind::Socks5, Some(("btg", "right-one"))).await;
    let sim = loa::sim::Sim::start_default().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/data/loa.db", dir.path().display());
    let run = |env: Vec<(&'static str, String)>| {
        let mut cmd = crate::harness::serve_process(dir.path(), &sim, &db, 30, "127.0.0.1:0");
        cmd.env("RUST_LOG", "info").stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.spawn().unwrap()
    };
    let mut child = run(vec![("LOA_TELEGRAM__PROXY", format!("socks5://btg:wrong-pw-77@{}", proxy.addr))]);
    crate::harness::wait_for("the proxy to refuse", Duration::from_secs(20), async || {
        (proxy.refused() >= 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("cannot reach the Telegram Bot API yet"), "{log}");
    assert!(!log.contains("wrong-pw-77"), "{log}");
    assert_eq!(sim.call_count("getMe"), 0, "nothing reached the Bot API past the proxy");

    // "direct": the variables name the refusing proxy, and are not used
    let before = proxy.refused();
    let mut child = run(vec![
        ("LOA_TELEGRAM__PROXY", "direct".into()),
        ("ALL_PROXY", format!("socks5://btg:wrong-pw-77@{}", proxy.addr)),
        ("HTTP_PROXY", format!("socks5://btg:wrong-pw-77@{}", proxy.addr)),
    ]);
    let polled = sim.wait_until(Duration::from_secs(20), |s| s.call_count("getUpdates") > 0).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    assert!(polled, "loa serve did not reach the simulator directly");
    assert_eq!(proxy.refused(), before);
    assert!(proxy.carried().is_empty());
}

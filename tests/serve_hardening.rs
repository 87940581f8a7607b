//! `serve` under load and under attack, on loopback: a thousand concurrent connections all
//! answered 200 with bounded memory; path traversal in every spelling never leaves the site;
//! hundreds of live-reload clients that come and go leave nothing behind.

#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::fixture;
use common::server::{Server, raise_open_files_limit, read_reply};

/// Pages of the fixture site, requested in turn.
const PAGES: &[&str] = &[
    "/",
    "/villes/",
    "/villes/avignon/",
    "/cas/",
    "/cas/marque-avignon/",
    "/strategies/evenementiel/",
    "/static/style.css",
    "/synergies/",
];

/// 1,000 connections opened at once (50 threads × 20), then one GET on each, all answered
/// 200 with the page; the server's resident memory stays within a generous bound.
#[test]
fn a_thousand_concurrent_connections_are_all_answered() {
    raise_open_files_limit();
    let site = fixture("mini");
    let server = Server::start(site.path(), &[]);
    let port = server.port;
    // Warm up, then take the memory at rest.
    for page in PAGES {
        assert_eq!(server.get(page).status, 200, "{page}");
    }
    let (rss_before, _) = server.memory_kb();
    let threads = 50;
    let per_thread = 20;
    let barrier = Arc::new(Barrier::new(threads));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut streams: Vec<(TcpStream, &str)> = (0..per_thread)
                    .map(|i| {
                        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(60)))
                            .unwrap();
                        (stream, PAGES[(t * per_thread + i) % PAGES.len()])
                    })
                    .collect();
                // Every connection is open before any request is sent.
                barrier.wait();
                for (stream, page) in &mut streams {
                    write!(
                        stream,
                        "GET {page} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    )
                    .unwrap();
                }
                streams
                    .into_iter()
                    .map(|(mut stream, page)| {
                        let reply = read_reply(&mut stream);
                        (page, reply.status, reply.body.len())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut answered = 0;
    for worker in workers {
        for (page, status, length) in worker.join().unwrap() {
            assert_eq!(status, 200, "{page}");
            assert!(length > 0, "{page}");
            answered += 1;
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(answered, threads * per_thread);
    let (rss_after, peak) = server.memory_kb();
    eprintln!(
        "{answered} concurrent connections answered in {elapsed:?}; server RSS {} MB before, {} MB after, peak {} MB",
        rss_before / 1024,
        rss_after / 1024,
        peak / 1024
    );
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    assert!(
        rss_after < rss_before + 200 * 1024,
        "RSS grew from {rss_before} kB to {rss_after} kB"
    );
    // Still serving, and the connections are closed on its side.
    assert_eq!(server.get("/").status, 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.open_files() > 100 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        server.open_files() <= 100,
        "{} open files",
        server.open_files()
    );
}

/// Every spelling of « go up »: raw, percent-encoded, double-encoded, backslashes, absolute,
/// NUL, overlong UTF-8, in the path or in an absolute-form request target. A secret sits next
/// to the site's root and in a stale `public/` (serve serves from memory, never from disk).
#[test]
fn path_traversal_never_leaves_the_site() {
    let work = tempfile::tempdir().unwrap();
    let site = fixture("mini");
    let root = work.path().join("site");
    common::copy_dir(site.path(), &root);
    std::fs::write(work.path().join("secret.txt"), "SECRET-A-COTE").unwrap();
    std::fs::write(root.join("secret.txt"), "SECRET-RACINE").unwrap();
    std::fs::create_dir_all(root.join("public")).unwrap();
    std::fs::write(root.join("public/secret.txt"), "SECRET-SORTIE").unwrap();
    let server = Server::start(&root, &[]);
    let attacks = [
        "/../secret.txt",
        "/../../secret.txt",
        "/cas/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/.%2e/secret.txt",
        "/%2e./secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/%252e%252e/%252e%252e/secret.txt",
        "/..\\secret.txt",
        "/..%5csecret.txt",
        "/%5c..%5c..%5csecret.txt",
        "/static/..%5c..%5csecret.txt",
        "//etc/passwd",
        "//secret.txt",
        "/etc/passwd",
        "/secret.txt",
        "/public/secret.txt",
        "/secret.txt%00",
        "/secret.txt%00.html",
        "/%00/../secret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/%e0%80%ae%e0%80%ae/secret.txt",
        "/..;/secret.txt",
        "/static/../../secret.txt",
        "/static/%2e%2e/%2e%2e/secret.txt",
        "/atlas.yaml",
        "/content/cas/marque-avignon.md",
        "http://127.0.0.1/../secret.txt",
        "http://127.0.0.1/%2e%2e/secret.txt",
    ];
    let secrets = [
        "SECRET-A-COTE",
        "SECRET-RACINE",
        "SECRET-SORTIE",
        "root:",
        "base_url",
        "titre:",
    ];
    for target in attacks {
        for method in ["GET", "HEAD"] {
            let reply = server.request(method, target);
            assert!(
                reply.status == 400 || reply.status == 404,
                "{method} {target}: {}",
                reply.status
            );
            let text = reply.text();
            for secret in secrets {
                assert!(!text.contains(secret), "{method} {target} served {secret}");
            }
        }
    }
    // Request targets that are not paths at all are refused by the HTTP layer or by us.
    for target in ["*", "secret.txt", "../secret.txt"] {
        let reply = server.get(target);
        assert!(reply.status >= 400, "{target}: {}", reply.status);
        assert!(!reply.text().contains("SECRET"));
    }
    // The site itself is still served.
    assert_eq!(server.get("/villes/avignon/").status, 200);
}

/// 300 browser tabs listen to the live-reload events, get their `hello`, then close: the
/// server's sockets and memory come back down; new tabs still get their events.
#[test]
fn live_reload_clients_that_come_and_go_leave_nothing_behind() {
    raise_open_files_limit();
    let site = fixture("mini");
    let server = Server::start(site.path(), &[]);
    assert_eq!(server.get("/").status, 200);
    // The lowest count over a second: a connection or a file of the first build may still be
    // closing when the server has just started.
    let files_before = (0..10)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(100));
            server.open_files()
        })
        .min()
        .unwrap();
    let (rss_before, _) = server.memory_kb();
    let connect = || {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        write!(
            stream,
            "GET /__atlas/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        stream
    };
    let hello = |stream: &TcpStream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            line.clear();
            assert!(reader.read_line(&mut line).unwrap() > 0, "stream closed");
            if line.starts_with("event: hello") {
                return;
            }
            assert!(Instant::now() < deadline);
        }
    };
    for round in 0..3 {
        let tabs: Vec<TcpStream> = (0..100).map(|_| connect()).collect();
        for tab in &tabs {
            hello(tab);
        }
        let files_open = server.open_files();
        assert!(
            files_open >= 100,
            "round {round}: {files_open} open files with 100 tabs ({files_before} before)"
        );
        for tab in &tabs {
            let _ = tab.shutdown(std::net::Shutdown::Both);
        }
        drop(tabs);
        // The server notices the closed tabs (at the latest at its next keep-alive).
        let deadline = Instant::now() + Duration::from_secs(40);
        while server.open_files() > files_before + 5 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(
            server.open_files() <= files_before + 5,
            "round {round}: {} open files, {files_before} before",
            server.open_files()
        );
    }
    let (rss_after, _) = server.memory_kb();
    eprintln!(
        "300 live-reload tabs opened and closed: server RSS {} MB before, {} MB after",
        rss_before / 1024,
        rss_after / 1024
    );
    assert!(rss_after < rss_before + 100 * 1024);
    // A new tab still hears about a change.
    let tab = connect();
    hello(&tab);
    let case = site.path().join("content/cas/marque-avignon.md");
    let text = std::fs::read_to_string(&case).unwrap();
    std::fs::write(&case, text.replacen("La marque", "La marque rechargée", 1)).unwrap();
    let mut reader = BufReader::new(tab);
    let mut line = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0);
        if line.starts_with("event: reload") {
            break;
        }
        assert!(Instant::now() < deadline, "no reload event");
    }
    let _ = reader.get_mut().read(&mut [0; 16]);
}

/// A chain of folders that each link twice to the next one (2^20 paths): `serve` starts at
/// once (the watcher does not follow links), says why the site cannot be built, and serves it
/// as soon as the links are gone.
#[test]
fn serve_starts_at_once_beside_a_chain_of_symbolic_links() {
    use std::os::unix::fs::symlink;
    let site = fixture("mini");
    let chain = site.path().join("content/cas/chaine");
    for level in 0..20 {
        let dir = chain.join(format!("n{level}"));
        std::fs::create_dir_all(&dir).unwrap();
        for link in ["g", "d"] {
            symlink(format!("../n{}", level + 1), dir.join(link)).unwrap();
        }
    }
    std::fs::create_dir_all(chain.join("n20")).unwrap();
    let started = Instant::now();
    let server = Server::start(site.path(), &[]);
    eprintln!(
        "serve started in {:?} beside 2^20 linked paths",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        server.stderr().contains("un dossier déjà lu à sa place"),
        "{}",
        server.stderr()
    );
    assert_eq!(server.get("/").status, 503);
    server.after_rebuild(|| std::fs::remove_dir_all(&chain).unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.get("/").status != 200 {
        assert!(Instant::now() < deadline, "{}", server.stderr());
        std::thread::sleep(Duration::from_millis(100));
    }
}

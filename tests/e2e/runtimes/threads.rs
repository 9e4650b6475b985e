// Rust's usual work: scoped threads over a channel and std::process::Command.
use std::process::Command;
use std::sync::mpsc;
use std::thread;

fn main() {
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        for i in 0..4u64 {
            let tx = tx.clone();
            s.spawn(move || tx.send((0..100_000u64).map(|j| (j * i) % 7).sum::<u64>()).unwrap());
        }
    });
    drop(tx);
    let total: u64 = rx.iter().sum();
    let out = Command::new("echo").arg("from child").output().unwrap();
    println!("sum {}", total);
    print!("child said: {}", String::from_utf8_lossy(&out.stdout));
    println!("child status {}", out.status.code().unwrap());
}

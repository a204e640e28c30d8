//! `passerelle hash-password`: the Argon2id hash of a password read from standard input (one
//! line, its end of line removed), for `password_hash` in `[[console.users]]`.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Result, bail};

pub fn run() -> Result<ExitCode> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.chars().count() < 12 {
        bail!("the password is shorter than 12 characters: choose a longer one");
    }
    let hash = web_console::hash_password(password).map_err(|e| anyhow::anyhow!(e))?;
    println!("{hash}");
    Ok(ExitCode::SUCCESS)
}

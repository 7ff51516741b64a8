//! Signing the commits lore makes as git would with `commit.gpgsign=true`: by `gpg.format`
//! `openpgp` (`gpg.program`, default `gpg`) or `ssh` (`gpg.ssh.program`, default
//! `ssh-keygen`), with `user.signingkey`. A signature that cannot be made is an error, and
//! nothing is committed: never an unsigned commit in silence.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::Repo;
use crate::error::{Error, Result};

/// How this repository's commits are to be signed.
#[derive(Debug, Clone)]
pub enum Signer {
    OpenPgp { program: String, key: String },
    Ssh { program: String, key: String },
}

/// The signer git's configuration asks for, `None` when commits are not signed; an error for a
/// configuration lore cannot honour.
pub fn signer(repo: &Repo) -> Result<Option<Signer>> {
    if !repo.config_bool("commit.gpgsign").unwrap_or(false) {
        return Ok(None);
    }
    let format = repo
        .config_string("gpg.format")
        .unwrap_or_else(|| "openpgp".into());
    let key = repo.config_string("user.signingkey");
    match format.as_str() {
        "openpgp" => Ok(Some(Signer::OpenPgp {
            program: repo
                .config_string("gpg.openpgp.program")
                .or_else(|| repo.config_string("gpg.program"))
                .unwrap_or_else(|| "gpg".into()),
            // git signs as the committer when no key is named.
            key: match key {
                Some(k) => k,
                None => {
                    let sig = super::signature(repo)?;
                    format!(
                        "{} <{}>",
                        sig.name().unwrap_or(""),
                        sig.email().unwrap_or("")
                    )
                }
            },
        })),
        "ssh" => Ok(Some(Signer::Ssh {
            program: repo
                .config_string("gpg.ssh.program")
                .unwrap_or_else(|| "ssh-keygen".into()),
            key: key.ok_or_else(|| unsigned("gpg.format is ssh but user.signingkey is not set"))?,
        })),
        other => Err(unsigned(&format!(
            "gpg.format is `{other}`, which lore cannot sign with (openpgp and ssh it can)"
        ))),
    }
}

fn unsigned(why: &str) -> Error {
    Error::Signing {
        reason: format!("{why}; set it, or unset commit.gpgsign for this store"),
    }
}

impl Signer {
    /// The signature of the commit `buffer`, armored, as git puts it in the `gpgsig` header.
    /// ssh-keygen's files are made in `git_dir` (named for this process, removed after).
    pub fn sign(&self, buffer: &[u8], git_dir: &std::path::Path) -> Result<String> {
        match self {
            Signer::OpenPgp { program, key } => {
                let out = run(
                    Command::new(program).args(["--status-fd=2", "-bsau", key]),
                    buffer,
                    program,
                )?;
                if !String::from_utf8_lossy(&out.stderr).contains("SIG_CREATED") {
                    return Err(failed(program, &out));
                }
                Ok(String::from_utf8_lossy(&out.stdout).into_owned())
            }
            Signer::Ssh { program, key } => {
                // ssh-keygen signs a file, and writes its signature to `<file>.sig`.
                let data = git_dir.join(format!("lore-sign-{}", crate::lock::creator_tag()));
                let files = Files(vec![
                    data.clone(),
                    data.with_extension("sig"),
                    data.with_extension("pub"),
                ]);
                std::fs::write(&data, buffer).map_err(|e| Error::io(&data, e))?;
                let mut cmd = Command::new(program);
                cmd.args(["-Y", "sign", "-n", "git", "-f"]);
                if let Some(public) = key.strip_prefix("key::") {
                    // A literal public key: its private half is in the agent.
                    let literal = &files.0[2];
                    std::fs::write(literal, public).map_err(|e| Error::io(literal, e))?;
                    cmd.arg(literal).arg("-U");
                } else {
                    cmd.arg(super::expand_home(key));
                }
                cmd.arg(&data);
                let out = run(&mut cmd, &[], program)?;
                let sig = &files.0[1];
                std::fs::read_to_string(sig).map_err(|_| failed(program, &out))
            }
        }
    }
}

/// Files removed when dropped.
struct Files(Vec<PathBuf>);

impl Drop for Files {
    fn drop(&mut self) {
        for f in &self.0 {
            let _ = std::fs::remove_file(f);
        }
    }
}

fn run(cmd: &mut Command, input: &[u8], program: &str) -> Result<std::process::Output> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Signing {
            reason: format!("could not run `{program}` to sign the commit: {e}"),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let out = child.wait_with_output().map_err(|e| Error::Signing {
        reason: format!("`{program}` failed: {e}"),
    })?;
    if !out.status.success() {
        return Err(failed(program, &out));
    }
    Ok(out)
}

fn failed(program: &str, out: &std::process::Output) -> Error {
    let said = String::from_utf8_lossy(&out.stderr);
    let said = said
        .lines()
        .filter(|l| !l.starts_with("[GNUPG:]"))
        .collect::<Vec<_>>()
        .join(" ");
    Error::Signing {
        reason: format!(
            "`{program}` could not sign the commit ({}){}; check gpg.program (gpg.ssh.program for ssh) and user.signingkey, or unset commit.gpgsign for this store",
            out.status,
            if said.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", said.trim())
            }
        ),
    }
}

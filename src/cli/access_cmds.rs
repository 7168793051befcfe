//! The account commands: `users`, `tokens`, `audit`. They act as the operator `cli` (every
//! change is audited under that name), and never take a password as an argument: it comes
//! from standard input (`--password-stdin`) or a prompt on the terminal with echo off.

use std::io::{BufRead, IsTerminal, Read, Write};

use serde_json::Value;
use tokio::runtime::Runtime;

use super::EXIT_OK;
use super::args::{ListFormat, TokensCommand, UsersCommand};
use super::error::{CliError, CliResult};
use super::output::table::Table;
use super::store_cmds::open_store;
use crate::access::{
    Access, AccessError, AccessSettings, Caller, MAX_PASSWORD_BYTES, Role, TokenInfo, User,
    check_email, check_password,
};
use crate::store::rfc3339;

impl From<AccessError> for CliError {
    fn from(e: AccessError) -> CliError {
        match e {
            AccessError::Store(e) => e.into(),
            AccessError::Invalid(_) => CliError::usage(e.to_string()),
            AccessError::NoSuchUser(_)
            | AccessError::UserExists(_)
            | AccessError::NoSuchToken(_)
            | AccessError::NoSuchPage(_) => CliError::failure(e.to_string()),
        }
    }
}

/// Opens the store at `db` for account commands.
fn open_access(db: Option<&str>) -> Result<(Runtime, Access), CliError> {
    let (runtime, store) = open_store(db)?;
    Ok((runtime, Access::new(store, AccessSettings::default())))
}

/// Runs `command` with access to the store at `db`, closing it afterwards.
fn with_access<F>(db: Option<&str>, command: impl FnOnce(Access) -> F) -> CliResult
where
    F: Future<Output = CliResult>,
{
    let (runtime, access) = open_access(db)?;
    let result = runtime.block_on(command(access.clone()));
    runtime.block_on(access.store().close());
    result
}

/// Prints `value` as pretty JSON, keys sorted by name like the other list commands.
fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_value(value)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or("-").to_string()
}

/// A user's pages in words.
fn pages_text(user: &User) -> String {
    match user.role {
        Role::Operator => "(every page)".into(),
        Role::Publisher if user.pages.is_empty() => "-".into(),
        Role::Publisher => user.pages.join(", "),
    }
}

/// `iarss users …`.
pub fn users(db: Option<&str>, cmd: UsersCommand) -> CliResult {
    match cmd {
        UsersCommand::Add {
            email,
            operator,
            pages,
            password_stdin,
        } => add_user(db, &email, operator, &pages, password_stdin),
        UsersCommand::List { format } => with_access(db, |access| async move {
            let users = access.users().await?;
            match format {
                ListFormat::Json => print_json(&users)?,
                ListFormat::Text => {
                    let mut table = Table::new(&["email", "role", "created", "pages"]);
                    for u in &users {
                        table.row(vec![
                            u.email.clone(),
                            u.role.to_string(),
                            rfc3339(u.created_at),
                            pages_text(u),
                        ]);
                    }
                    print!(
                        "{}",
                        table.render("no users yet: add one with `iarss users add`")
                    );
                }
            }
            Ok(EXIT_OK)
        }),
        UsersCommand::Passwd {
            email,
            password_stdin,
        } => set_password(db, &email, password_stdin),
        UsersCommand::Remove { email } => with_access(db, |access| async move {
            access.remove_user(&Caller::cli(), &email).await?;
            println!(
                "user `{}` removed, with its tokens and sessions",
                crate::access::normalize_email(&email)
            );
            Ok(EXIT_OK)
        }),
        UsersCommand::Pages { email, add, remove } => with_access(db, |access| async move {
            let email = crate::access::normalize_email(&email);
            let cli = Caller::cli();
            if let Some(page) = add {
                access.add_user_page(&cli, &email, &page).await?;
                println!("`{email}` is a member of page `{page}`");
            }
            if let Some(page) = remove {
                access.remove_user_page(&cli, &email, &page).await?;
                println!("`{email}` is no longer a member of page `{page}`");
            }
            Ok(EXIT_OK)
        }),
    }
}

/// `iarss users add`: everything that can be checked is checked before the password is
/// asked for, so that nobody types one for nothing.
fn add_user(
    db: Option<&str>,
    email: &str,
    operator: bool,
    pages: &[String],
    password_stdin: bool,
) -> CliResult {
    let email = check_email(email)?;
    if !password_stdin && !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "standard input is not a terminal: give the password on standard input with \
             --password-stdin",
        ));
    }
    let role = if operator {
        Role::Operator
    } else {
        Role::Publisher
    };
    let (runtime, access) = open_access(db)?;
    let result = (|| {
        runtime.block_on(async {
            if access.user(&email).await?.is_some() {
                return Err(CliError::from(AccessError::UserExists(email.clone())));
            }
            for page in pages {
                if access.store().page(page).await?.is_none() {
                    return Err(AccessError::NoSuchPage(page.clone()).into());
                }
            }
            Ok(())
        })?;
        let password = if password_stdin {
            password_from_stdin()?
        } else {
            password_from_terminal(&email)?
        };
        let user =
            runtime.block_on(access.add_user(&Caller::cli(), &email, &password, role, pages))?;
        match user.role {
            Role::Operator => println!("user `{}` added: operator", user.email),
            Role::Publisher => println!(
                "user `{}` added: publisher of {}",
                user.email,
                pages_text(&user)
            ),
        }
        Ok(EXIT_OK)
    })();
    runtime.block_on(access.store().close());
    result
}

/// `iarss users passwd`: the user must exist before the password is asked for.
fn set_password(db: Option<&str>, email: &str, password_stdin: bool) -> CliResult {
    let email = crate::access::normalize_email(email);
    if !password_stdin && !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "standard input is not a terminal: give the password on standard input with \
             --password-stdin",
        ));
    }
    let (runtime, access) = open_access(db)?;
    let result = (|| {
        if runtime.block_on(access.user(&email))?.is_none() {
            return Err(CliError::from(AccessError::NoSuchUser(email.clone())));
        }
        let password = if password_stdin {
            password_from_stdin()?
        } else {
            password_from_terminal(&email)?
        };
        runtime.block_on(access.set_password(&Caller::cli(), &email, &password))?;
        println!("password of `{email}` set; its sessions are signed out");
        Ok(EXIT_OK)
    })();
    runtime.block_on(access.store().close());
    result
}

/// The password on standard input: all of it but one final line break.
fn password_from_stdin() -> Result<String, CliError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_PASSWORD_BYTES as u64 + 3)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::usage(format!("cannot read standard input: {e}")))?;
    let mut text = String::from_utf8(bytes)
        .map_err(|_| CliError::usage("the password on standard input is not UTF-8 text"))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    check_password(&text)?;
    Ok(text)
}

/// The password typed twice on the terminal, echo off.
fn password_from_terminal(email: &str) -> Result<String, CliError> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| {
            CliError::usage(format!(
                "cannot open the terminal to ask for the password ({e}): use --password-stdin"
            ))
        })?;
    let first = prompt(&tty, &format!("Password for {email}: "))?;
    check_password(&first)?;
    let second = prompt(&tty, "The same password again: ")?;
    if first != second {
        return Err(CliError::usage("the two passwords differ"));
    }
    Ok(first)
}

/// Asks on the terminal and reads one line with echo off (restored whatever happens).
fn prompt(tty: &std::fs::File, question: &str) -> Result<String, CliError> {
    let failed = |e: std::io::Error| CliError::failure(format!("cannot use the terminal: {e}"));
    let mut out = tty;
    // Echo goes off before the question shows, so nothing typed after it is ever echoed.
    let echo = EchoOff::new(tty);
    out.write_all(question.as_bytes()).map_err(failed)?;
    out.flush().map_err(failed)?;
    let mut line = String::new();
    let read = std::io::BufReader::new(tty).read_line(&mut line);
    drop(echo);
    let _ = out.write_all(b"\n");
    read.map_err(failed)?;
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(line)
}

/// Terminal echo off while it lives (through `stty`, on the terminal itself), the earlier
/// settings back when dropped.
struct EchoOff {
    tty: Option<std::fs::File>,
    saved: Option<String>,
}

impl EchoOff {
    fn new(tty: &std::fs::File) -> EchoOff {
        let tty = tty.try_clone().ok();
        let saved = tty.as_ref().and_then(|t| stty(t, &["-g"]));
        if let Some(t) = &tty {
            stty(t, &["-echo"]);
        }
        EchoOff { tty, saved }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(tty) = &self.tty {
            match &self.saved {
                Some(saved) => stty(tty, &[saved.trim()]),
                None => stty(tty, &["echo"]),
            };
        }
    }
}

/// Runs `stty ARGS` on the terminal; its output, if it succeeded.
fn stty(tty: &std::fs::File, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("stty")
        .args(args)
        .stdin(tty.try_clone().ok()?)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A token's state in words.
fn token_state(t: &TokenInfo) -> String {
    match t.revoked_at {
        Some(at) => format!("revoked {}", rfc3339(at)),
        None => "active".into(),
    }
}

/// `iarss tokens …`.
pub fn tokens(db: Option<&str>, cmd: TokensCommand) -> CliResult {
    with_access(db, |access| async move {
        match cmd {
            TokensCommand::Create { user, name, format } => {
                let (info, token) = access
                    .create_token(&Caller::cli(), &user, name.as_deref())
                    .await?;
                match format {
                    ListFormat::Json => {
                        let mut v = serde_json::to_value(&info)
                            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
                        if let Value::Object(map) = &mut v {
                            map.insert("token".into(), Value::String(token));
                        }
                        print_json(&v)?;
                    }
                    ListFormat::Text => {
                        // The token alone on stdout, so that `$(iarss tokens create …)` is it.
                        println!("{token}");
                        eprintln!(
                            "token {} created for {}: this is the only time it is shown",
                            info.id, info.user_email
                        );
                    }
                }
            }
            TokensCommand::List { user, format } => {
                if let Some(email) = &user
                    && access.user(email).await?.is_none()
                {
                    return Err(
                        AccessError::NoSuchUser(crate::access::normalize_email(email)).into(),
                    );
                }
                let tokens = access.tokens(user.as_deref()).await?;
                match format {
                    ListFormat::Json => print_json(&tokens)?,
                    ListFormat::Text => {
                        let mut table =
                            Table::new(&["id", "user", "name", "created", "last used", "state"]);
                        for t in &tokens {
                            table.row(vec![
                                t.id.to_string(),
                                t.user_email.clone(),
                                or_dash(t.name.as_deref()),
                                rfc3339(t.created_at),
                                t.last_used_at.map_or_else(|| "never".into(), rfc3339),
                                token_state(t),
                            ]);
                        }
                        print!(
                            "{}",
                            table.render("no tokens: create one with `iarss tokens create`")
                        );
                    }
                }
            }
            TokensCommand::Revoke { id } => {
                access.revoke_token(&Caller::cli(), id).await?;
                println!("token {id} revoked");
            }
        }
        Ok(EXIT_OK)
    })
}

/// `iarss audit`.
pub fn audit(db: Option<&str>, limit: i64, before: Option<i64>, format: ListFormat) -> CliResult {
    with_access(db, |access| async move {
        let entries = access.audit_log(before, limit.max(0)).await?;
        match format {
            ListFormat::Json => print_json(&entries)?,
            ListFormat::Text => {
                let mut table = Table::new(&[
                    "id", "at", "actor", "action", "object", "page", "address", "detail",
                ]);
                for e in &entries {
                    table.row(vec![
                        e.id.to_string(),
                        rfc3339(e.at),
                        e.actor.clone(),
                        e.action.clone(),
                        or_dash(e.object.as_deref()),
                        or_dash(e.page_id.as_deref()),
                        or_dash(e.address.as_deref()),
                        or_dash(e.detail.as_deref()),
                    ]);
                }
                print!("{}", table.render("the audit log is empty"));
            }
        }
        Ok(EXIT_OK)
    })
}

//! The Containerfile, checked without a container engine (this machine has none, so the image
//! itself is not built here; docs/ci.md): pinned base images, a non-root runtime user, every COPY
//! source in the build context and not ignored, the build stage's context holding every file
//! cargo reads (declared targets, files compiled in with include_str!/include_bytes!), every RUN parsing in bash with commands that exist on Debian, and a binary
//! that needs no library the slim runtime image lacks.

use std::process::Command;

use crate::support::root;

#[derive(Debug)]
struct Instr {
    op: String,
    args: String,
}

/// Instructions with continuation lines joined and comments dropped, global ARG defaults applied.
fn parse() -> Vec<Instr> {
    let text = std::fs::read_to_string(root().join("Containerfile")).unwrap();
    let mut out: Vec<Instr> = vec![];
    let mut cur = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && cur.is_empty()) {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(part) => cur.push_str(part),
            None => {
                cur.push_str(t);
                let (op, args) = cur.split_once(' ').expect("instruction with arguments");
                out.push(Instr {
                    op: op.to_uppercase(),
                    args: args.trim().to_string(),
                });
                cur.clear();
            }
        }
    }
    let mut args = std::collections::BTreeMap::new();
    for i in &mut out {
        if i.op == "ARG" {
            let (k, v) = i.args.split_once('=').expect("ARG with a default");
            args.insert(format!("${{{k}}}"), v.to_string());
        }
        for (k, v) in &args {
            i.args = i.args.replace(k.as_str(), v);
        }
    }
    out
}

fn stages(all: &[Instr]) -> Vec<Vec<&Instr>> {
    let mut out: Vec<Vec<&Instr>> = vec![];
    for i in all {
        if i.op == "FROM" {
            out.push(vec![]);
        }
        if let Some(s) = out.last_mut() {
            s.push(i);
        }
    }
    out
}

#[test]
fn base_images_are_pinned_and_the_runtime_user_is_not_root() {
    let all = parse();
    let st = stages(&all);
    assert_eq!(st.len(), 2, "a build stage and a runtime stage");
    for s in &st {
        let image = s[0].args.split_whitespace().next().unwrap();
        assert!(!image.contains('$'), "{image}: every ARG has a default");
        let (name, tag) = image.rsplit_once(':').unwrap_or_else(|| panic!("{image}: no tag"));
        assert!(
            name.contains('/') && name.split('/').next().unwrap().contains('.'),
            "{image}: name the registry"
        );
        assert!(
            tag != "latest" && tag.contains("bookworm"),
            "{image}: a Debian release, not latest"
        );
    }
    let run = &st[1];
    let user = run
        .iter()
        .rfind(|i| i.op == "USER")
        .expect("a USER in the runtime stage");
    assert!(!["root", "0"].contains(&user.args.as_str()), "runs as {}", user.args);
    assert!(
        run.iter()
            .any(|i| i.op == "RUN" && i.args.contains("useradd") && i.args.ends_with(&user.args)),
        "the user {} is created in the image",
        user.args
    );
    let entry = run.iter().find(|i| i.op == "ENTRYPOINT").expect("ENTRYPOINT");
    let entry: Vec<String> = serde_json::from_str(&entry.args).expect("exec form");
    let copied = run
        .iter()
        .find(|i| i.op == "COPY" && i.args.starts_with("--from=build "))
        .expect("the binary from the build stage");
    let parts: Vec<&str> = copied.args.split_whitespace().collect();
    assert_eq!(entry[0], parts[2], "ENTRYPOINT is the copied binary");
    let build_runs: String = st[0]
        .iter()
        .filter(|i| i.op == "RUN")
        .map(|i| i.args.as_str())
        .collect();
    assert!(
        build_runs.contains("--release") && build_runs.contains("--locked") && build_runs.contains(parts[1]),
        "the build stage builds the release binary the runtime copies: {build_runs}"
    );
}

/// The build context: COPY sources exist and are not ignored; the ignore files keep the build
/// outputs and the fuzzer out; what is copied is enough for cargo to load the manifest.
#[test]
fn build_context_holds_what_cargo_reads() {
    let ignore = std::fs::read_to_string(root().join(".containerignore")).unwrap();
    assert_eq!(
        ignore,
        std::fs::read_to_string(root().join(".dockerignore")).unwrap(),
        ".dockerignore (docker) and .containerignore (podman, buildah) agree"
    );
    let ignored: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for must in ["target/", "fuzz/"] {
        assert!(ignored.contains(&must), "{must} is left out of the context");
    }
    let ctx = tempfile::tempdir().unwrap();
    let all = parse();
    let build = &stages(&all)[0];
    for i in build.iter().filter(|i| i.op == "COPY") {
        let words: Vec<&str> = i.args.split_whitespace().collect();
        let (srcs, dest) = words.split_at(words.len() - 1);
        for src in srcs {
            let p = root().join(src);
            assert!(p.exists(), "COPY {src}: not in the repository");
            let top = src.split('/').next().unwrap();
            assert!(
                !ignored.iter().any(|g| g.trim_end_matches('/') == top),
                "COPY {src}: excluded by .containerignore"
            );
            // COPY's rules: a directory's contents into DEST; a file into DEST/ or as DEST.
            let dest = ctx.path().join(dest[0]);
            let (from, to) = if p.is_dir() {
                (p.join("."), dest)
            } else if dest.to_string_lossy().ends_with('/') {
                (p.clone(), dest.join(p.file_name().unwrap()))
            } else {
                (p.clone(), dest)
            };
            std::fs::create_dir_all(if p.is_dir() { &to } else { to.parent().unwrap() }).unwrap();
            let o = Command::new("cp").arg("-a").arg(&from).arg(&to).output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
    }
    let o = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--offline", "--format-version", "1"])
        .current_dir(ctx.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // cargo refuses a manifest whose declared targets are missing (it drops them from
    // `metadata` silently, so they are read from the manifest here).
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let mut needed = vec!["build.rs".to_string(), "src/main.rs".into(), "src/lib.rs".into()];
    for (kind, dir) in [
        ("bench", "benches"),
        ("test", "tests"),
        ("bin", "src/bin"),
        ("example", "examples"),
    ] {
        for t in manifest.get(kind).and_then(|v| v.as_array()).into_iter().flatten() {
            needed.push(match t.get("path").and_then(|p| p.as_str()) {
                Some(p) => p.to_string(),
                None => format!("{dir}/{}.rs", t["name"].as_str().unwrap()),
            });
        }
    }
    assert!(needed.len() >= 6, "{needed:?}");
    for n in needed {
        assert!(
            ctx.path().join(&n).exists(),
            "cargo needs {n} in the build context: COPY it"
        );
    }
    // Files compiled into the binary (the demo vendor, example facts, templates, word lists).
    let re = regex::Regex::new(r#"include_(?:str|bytes)!\(\s*"([^"]+)"\s*\)"#).unwrap();
    let mut included = 0;
    let mut stack = vec![ctx.path().join("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                for c in re.captures_iter(&std::fs::read_to_string(&p).unwrap()) {
                    included += 1;
                    let f = p.parent().unwrap().join(&c[1]);
                    assert!(
                        f.exists(),
                        "{} includes {}: COPY it into the build context",
                        p.display(),
                        &c[1]
                    );
                }
            }
        }
    }
    assert!(included >= 10, "the include scan found {included}");
}

/// Every RUN parses in bash, and each command it starts exists on a Debian machine (this one):
/// the commands of the image's stages, checked where they can be without an engine.
#[test]
fn run_steps_parse_and_name_commands_that_exist() {
    for i in parse().iter().filter(|i| i.op == "RUN") {
        let o = Command::new("bash").args(["-n", "-c", &i.args]).output().unwrap();
        assert!(
            o.status.success(),
            "RUN {}: {}",
            i.args,
            String::from_utf8_lossy(&o.stderr)
        );
        for part in i.args.split("&&").flat_map(|p| p.split(';')).flat_map(|p| p.split('|')) {
            let cmd = part.split_whitespace().next().expect("a command");
            let found = Command::new("bash")
                .args(["-c", &format!("command -v {cmd}")])
                .output()
                .unwrap();
            assert!(found.status.success(), "RUN {}: {cmd} not found", i.args);
        }
    }
}

/// The binary needs only the C library and libgcc's unwinder, which the slim runtime image has:
/// OpenSSL (the HTTP request to TLS 1.0/1.1-only servers) is compiled in.
#[test]
fn binary_needs_only_what_debian_slim_has() {
    let o = Command::new("ldd").arg(env!("CARGO_BIN_EXE_vetter")).output().unwrap();
    assert!(o.status.success());
    let allowed = [
        "linux-vdso",
        "libgcc_s",
        "libm",
        "libc",
        "ld-linux",
        "libpthread",
        "libdl",
        "librt",
    ];
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let lib = line.split_whitespace().next().unwrap();
        let lib = lib.rsplit('/').next().unwrap();
        assert!(
            allowed.iter().any(|a| lib.starts_with(a)),
            "vetter links {lib}, which debian:bookworm-slim does not ship"
        );
    }
}

//! The registry at the command line: `loa cells import|list|invites`, `loa staff grant|list`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::REGISTRY;

fn loa(dir: &Path) -> Command {
    let mut c = crate::harness::loa_bin(dir);
    c.env("LOA_TELEGRAM__BOT_USERNAME", "loa_test_bot");
    c
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = loa(dir).args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn list_json(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["cells", "list", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = run(dir, &args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Value>(&out).unwrap().as_array().unwrap().clone()
}

#[test]
fn a_csv_registry_imports_with_vietnamese_names_intact_and_lists_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chi-bo.csv");
    std::fs::write(&file, [b"\xEF\xBB\xBF".as_slice(), REGISTRY.as_bytes()].concat()).unwrap();
    let (code, out, err) = run(dir.path(), &["cells", "import", "chi-bo.csv", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("4 added, 0 updated, 0 unchanged, 0 retired (dry run: nothing was written)"), "{out}");
    assert!(list_json(dir.path(), &[]).is_empty(), "a dry run writes nothing");

    let (code, out, _) = run(dir.path(), &["cells", "import", "chi-bo.csv"]);
    assert_eq!(code, 0);
    assert!(out.contains("4 added, 0 updated, 0 unchanged, 0 retired"), "{out}");
    let cells = list_json(dir.path(), &[]);
    assert_eq!(cells.len(), 4);
    let nr1 = cells.iter().find(|c| c["code"] == "NR-001").unwrap();
    let keys: Vec<&str> = nr1.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "code",
            "name",
            "district",
            "commune",
            "parent",
            "tags",
            "status",
            "chat_id",
            "chat_type",
            "bound_at",
            "last_seen_at"
        ]
    );
    assert_eq!(nr1["name"], "Chi bộ thôn Nà Pài");
    assert_eq!(nr1["name"].as_str().unwrap().as_bytes(), "Chi bộ thôn Nà Pài".as_bytes());
    assert_eq!(nr1["district"], "Na Rì");
    assert_eq!(nr1["tags"], serde_json::json!(["vung-cao", "xa"]));
    assert_eq!(nr1["status"], "unbound");
    assert!(nr1["chat_id"].is_null());

    assert_eq!(list_json(dir.path(), &["--district", "Ba Bể"]).len(), 2);
    assert_eq!(list_json(dir.path(), &["--status", "active"]).len(), 0);
    let (code, _, err) = run(dir.path(), &["cells", "list", "--district", "Ba Be"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown district \"Ba Be\"; the registry has: Ba Bể, Na Rì"), "{err}");
    let (code, _, err) = run(dir.path(), &["cells", "list", "--status", "bound"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected unbound, active, unreachable or retired"), "{err}");
    let (_, csv, _) = run(dir.path(), &["cells", "list", "--format", "csv"]);
    // every field quoted: a `;` in a name never splits it in a spreadsheet
    let header = "code,name,district,commune,parent,tags,status,chat_id,chat_type,bound_at,last_seen_at";
    let quoted = |line: &str| line.split(',').map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(",");
    assert!(csv.starts_with(&format!("{}\n", quoted(header))), "{csv}");
    let row = quoted("NR-001,Chi bộ thôn Nà Pài,Na Rì,Xã Kim Lư,Đảng bộ xã Kim Lư,vung-cao;xa,unbound");
    assert!(csv.contains(&row), "{csv}");
}

#[test]
fn re_importing_updates_by_code_reports_missing_cells_and_retires_them_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), REGISTRY).unwrap();
    assert_eq!(run(dir.path(), &["cells", "import", "a.csv"]).0, 0);
    // an .xlsx with one name changed, one cell gone, one new
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        ["code", "name", "district", "commune", "parent", "tags"],
        ["NR-001", "Chi bộ thôn Nà Pài", "Na Rì", "Xã Kim Lư", "Đảng bộ xã Kim Lư", "xa;vung-cao"],
        ["NR-002", "Chi bộ thôn Khuổi Luông (mới)", "Na Rì", "Xã Kim Lư", "Đảng bộ xã Kim Lư", "xa"],
        ["BB-001", "Chi bộ bản Cốc Lùng", "Ba Bể", "Xã Cao Thượng", "Đảng bộ xã Cao Thượng", "xa;vung-cao"],
        ["PN-001", "Chi bộ thôn Nặm Nhả", "Pác Nặm", "Xã Nhạn Môn", "", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    book.save(dir.path().join("b.xlsx")).unwrap();
    let (code, out, err) = run(dir.path(), &["cells", "import", "b.xlsx"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 added, 1 updated, 2 unchanged, 0 retired"), "{out}");
    assert!(out.contains("1 cell(s) in the database are not in the file and were kept: BB-002"), "{out}");
    assert_eq!(list_json(dir.path(), &["--status", "retired"]).len(), 0, "never deleted or retired silently");
    let (_, out, _) = run(dir.path(), &["cells", "import", "b.xlsx", "--deactivate-missing"]);
    assert!(out.contains("0 added, 0 updated, 4 unchanged, 1 retired"), "{out}");
    let retired = list_json(dir.path(), &["--status", "retired"]);
    assert_eq!(retired.len(), 1);
    assert_eq!(retired[0]["code"], "BB-002");
    let nr2 = list_json(dir.path(), &[]).into_iter().find(|c| c["code"] == "NR-002").unwrap();
    assert_eq!(nr2["name"], "Chi bộ thôn Khuổi Luông (mới)");
}

#[test]
fn a_workbook_that_unpacks_to_hundreds_of_megabytes_or_is_too_big_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    // a zip bomb: a few hundred KB whose sheet unpacks to 210 MB
    let bomb = dir.path().join("bomb.xlsx");
    let made = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n\
             z.writestr('[Content_Types].xml', '<Types/>')\n\
             z.writestr('xl/worksheets/sheet1.xml', b'<' + b' ' * (210 * 2**20))\n\
             z.close()",
        )
        .arg(&bomb)
        .status()
        .expect("python3 runs");
    assert!(made.success());
    assert!(std::fs::metadata(&bomb).unwrap().len() < 2 * 1024 * 1024);
    let (code, _, err) = run(dir.path(), &["cells", "import", "bomb.xlsx"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("its parts unpack to 210 MB; a registry workbook may unpack to at most 200 MB"), "{err}");
    // a workbook over 20 MB (sparse: no disk spent)
    let big = std::fs::File::create(dir.path().join("big.xlsx")).unwrap();
    big.set_len(21 * 1024 * 1024).unwrap();
    let (code, _, err) = run(dir.path(), &["cells", "import", "big.xlsx"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("21.0 MB; a registry workbook may be at most 20 MB"), "{err}");
    assert!(list_json(dir.path(), &[]).is_empty());
}

#[test]
fn a_file_with_bad_rows_lists_every_bad_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.csv"),
        "code,name,district,commune,parent,tags\nNR-001,Chi bộ 1,Na Rì,,,\n,Chi bộ 2,Na Rì,,,\nNR-001,Chi bộ 3,Na Rì,,,\nNR-004,,Na Rì,,,\n",
    )
    .unwrap();
    let (code, out, err) = run(dir.path(), &["cells", "import", "bad.csv"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("bad.csv: 3 bad line(s), nothing was written:"), "{err}");
    assert!(err.contains("line 3, column code: missing"), "{err}");
    assert!(err.contains("line 4, column code: duplicate code NR-001 (first on line 2)"), "{err}");
    assert!(err.contains("line 5, column name: missing"), "{err}");
    assert!(list_json(dir.path(), &[]).is_empty());

    std::fs::write(dir.path().join("cols.csv"), "code,name,district,huyen\nA,B,C,D\n").unwrap();
    let (code, _, err) = run(dir.path(), &["cells", "import", "cols.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("line 1, column huyen: unknown column"), "{err}");
    let (code, _, err) = run(dir.path(), &["cells", "import", "registry.txt"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected a .csv or .xlsx file"), "{err}");
    let (code, _, err) = run(dir.path(), &["cells", "import", "missing.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read missing.csv"), "{err}");
}

/// The organisation as it is now: units and cells in one file, the province's committee at the
/// root, children before their parents; a re-organisation is an import; a broken tree is refused
/// line by line and writes nothing.
#[test]
fn a_tree_registry_imports_units_and_cells_and_a_bad_tree_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("to-chuc.csv"),
        "code,name,parent_code,kind,members
CB-001,Chi bộ thôn Nà Pài,X-BV,chi-bo,23
X-BV,Đảng ủy xã Bằng Vân,TN,dang-uy-xa,
CB-002,Chi bộ Văn phòng,CQ-1,chi-bo,9
TN,Đảng bộ tỉnh Thái Nguyên,,tinh,
CQ-1,Đảng ủy Cơ quan tỉnh,TN,dang-uy-co-quan,
",
    )
    .unwrap();
    let (code, out, err) = run(dir.path(), &["cells", "import", "to-chuc.csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("5 rows read; 2 added, 0 updated, 0 unchanged, 0 retired; units: 2 added, 0 updated"),
        "{out}"
    );
    let cells = list_json(dir.path(), &[]);
    let districts: Vec<&str> = cells.iter().map(|c| c["district"].as_str().unwrap()).collect();
    assert_eq!(districts, ["Đảng ủy xã Bằng Vân", "Đảng ủy Cơ quan tỉnh"], "shown under their unit below the province");

    // the tree as listed: each unit after its parent, its level named by the configuration
    let (code, out, err) = run(dir.path(), &["units", "list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let units: Vec<Value> = serde_json::from_str(&out).unwrap();
    let listed: Vec<(&str, i64, &str, i64)> = units
        .iter()
        .map(|u| {
            (
                u["code"].as_str().unwrap(),
                u["level"].as_i64().unwrap(),
                u["level_name"].as_str().unwrap(),
                u["cells_below"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [("TN", 0, "Đảng bộ tỉnh", 2), ("CQ-1", 1, "Đảng ủy cơ sở", 1), ("X-BV", 1, "Đảng ủy cơ sở", 1)]
    );
    assert_eq!(units[2]["parent"], "TN");
    let (code, out, _) = run(dir.path(), &["units", "list", "--under", "X-BV"]);
    assert_eq!(code, 0);
    assert!(out.contains("Đảng ủy xã Bằng Vân") && !out.contains("Đảng ủy Cơ quan tỉnh"), "{out}");
    let under: Vec<String> =
        list_json(dir.path(), &["--unit", "X-BV"]).iter().map(|c| c["code"].as_str().unwrap().to_string()).collect();
    assert_eq!(under, ["CB-001"], "the cells under a unit");
    assert_eq!(list_json(dir.path(), &["--unit", "TN"]).len(), 2, "the root's subtree is every cell");
    let (code, _, err) = run(dir.path(), &["cells", "list", "--unit", "X-KHONG"]);
    assert_eq!(code, 2);
    assert!(err.contains("--unit \"X-KHONG\": no unit with that code"), "{err}");
    // an officer of a commune committee
    let (code, out, err) = run(dir.path(), &["staff", "grant", "4242", "--role", "district", "--unit", "X-BV"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("4242 is now an officer of X-BV (Đảng ủy xã Bằng Vân)"), "{out}");
    let (code, _, err) = run(dir.path(), &["staff", "grant", "4243", "--role", "board", "--unit", "X-BV"]);
    assert_eq!(code, 2);
    assert!(err.contains("--unit goes with --role district"), "{err}");
    let (code, _, err) = run(dir.path(), &["staff", "grant", "4244", "--role", "district", "--unit", "TN"]);
    assert_eq!(code, 2);
    assert!(err.contains("is the province's committee: grant --role board"), "{err}");
    // a grant by district name finds the same unit, not a new one
    let (code, _, err) =
        run(dir.path(), &["staff", "grant", "4245", "--role", "district", "--district", "Đảng ủy xã Bằng Vân"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(dir.path(), &["units", "list", "--format", "json"]);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 3, "no unit made for a district's name");
    let (code, _, err) = run(dir.path(), &["units", "list", "--under", "X-KHONG"]);
    assert_eq!(code, 2);
    assert!(err.contains("--under \"X-KHONG\": no unit with that code"), "{err}");

    std::fs::write(
        dir.path().join("sai.csv"),
        "code,name,parent_code,kind\nCB-003,Chi bộ 3,X-KHONG,chi-bo\nCB-004,Chi bộ 4,CB-001,chi-bo\n",
    )
    .unwrap();
    let (code, out, err) = run(dir.path(), &["cells", "import", "sai.csv"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("line 2, column parent_code: no unit X-KHONG in the file or in the registry"), "{err}");
    assert_eq!(list_json(dir.path(), &[]).len(), 2, "nothing written");
    std::fs::write(dir.path().join("vong.csv"), "code,name,parent_code,kind\nA,Xã A,B,xa\nB,Xã B,A,xa\n").unwrap();
    let (code, _, err) = run(dir.path(), &["cells", "import", "vong.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2, column parent_code: a cycle: A → B → A"), "{err}");
}

#[test]
fn invites_are_written_as_csv_with_both_deep_links_for_unbound_cells() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), REGISTRY).unwrap();
    run(dir.path(), &["cells", "import", "a.csv"]);
    let (code, out, err) = run(dir.path(), &["cells", "invites", "--district", "Na Rì", "--out", "moi.csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("2 invite(s) written to moi.csv"), "{out}");
    let text = std::fs::read_to_string(dir.path().join("moi.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("\"cell_code\",\"cell_name\",\"district\",\"invite_code\",\"private_link\",\"group_link\",\"expires_at\"")
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let code = &rows[0][3];
    assert!(code.len() >= 22 && code.len() <= 64);
    assert_eq!(&rows[0][4], format!("https://t.me/loa_test_bot?start={code}"));
    assert_eq!(&rows[0][5], format!("https://t.me/loa_test_bot?startgroup={code}"));
    assert_eq!(&rows[0][1], "Chi bộ thôn Nà Pài");
    // only the hash is stored
    for file in ["data/loa.db", "data/loa.db-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        assert!(!bytes.windows(code.len()).any(|w| w == code.as_bytes()), "the code itself is in {file}");
    }
    // --all issues for every cell and revokes the codes issued before
    let (code, out, err) = run(dir.path(), &["cells", "invites", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 5, "a header and four cells on standard output: {out}");
    let revoked: i64 = {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let pool = loa::db::open(&format!("sqlite://{}/data/loa.db", dir.path().display())).await.unwrap();
            sqlx::query_scalar("SELECT count(*) FROM invites WHERE revoked_at IS NOT NULL")
                .fetch_one(&pool)
                .await
                .unwrap()
        })
    };
    assert_eq!(revoked, 2, "the two Na Rì codes of the first run");
    // without a bot username or token the links cannot be made
    let (code, _, err) = {
        let out = loa(dir.path()).env_remove("LOA_TELEGRAM__BOT_USERNAME").args(["cells", "invites"]).output().unwrap();
        (out.status.code().unwrap(), (), String::from_utf8(out.stderr).unwrap())
    };
    assert_eq!(code, 2);
    assert!(err.contains("telegram.bot_username"), "{err}");
}

#[test]
fn staff_are_granted_listed_and_revoked_at_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), REGISTRY).unwrap();
    run(dir.path(), &["cells", "import", "a.csv"]);
    let (code, out, err) = run(dir.path(), &["staff", "grant", "555", "--role", "district", "--district", "Ba Bể"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("555 is now district for Ba Bể"), "{out}");
    let (code, _, err) = run(dir.path(), &["staff", "grant", "556", "--role", "district"]);
    assert_eq!(code, 2);
    assert!(err.contains("needs a district"), "{err}");
    let (code, _, err) = run(dir.path(), &["staff", "grant", "556", "--role", "chief"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected admin, board or district"), "{err}");
    let (_, out, _) = run(dir.path(), &["staff", "list", "--format", "json"]);
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["user_id"], 555);
    assert_eq!(list[0]["district"], "Ba Bể");
    let (code, out, _) = run(dir.path(), &["staff", "revoke", "555"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "555 is no longer district");
    let (code, _, err) = run(dir.path(), &["staff", "revoke", "555"]);
    assert_eq!(code, 2);
    assert!(err.contains("555 has no staff role"), "{err}");
}

/// Two units become one: `loa units merge BP-1 --into P-DT` moves the sub-committee's cell and
/// officer to the ward, retires the sub-committee, and leaves what was recorded as it was (a pack
/// sent before the merger still shows its cell under the old unit; the totals are unchanged). Bad
/// mergers are refused with the reason and write nothing.
#[tokio::test]
async fn a_merger_moves_cells_and_officers_and_leaves_the_old_figures_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let tree = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/to-chuc.csv")).unwrap();
    std::fs::write(dir.path().join("to-chuc.csv"), tree).unwrap();
    let (code, _, err) = run(dir.path(), &["cells", "import", "to-chuc.csv"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(dir.path(), &["staff", "grant", "4242", "--role", "district", "--unit", "BP-1"]);
    assert_eq!(code, 0, "{err}");
    // a pack goes out to every cell before the merger
    let db = format!("sqlite://{}/data/loa.db", dir.path().display());
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let pool = loa::db::open(&db).await.unwrap();
    sqlx::query("UPDATE cells SET status = 'active', chat_id = 9000 + id, chat_type = 'private'")
        .execute(&pool)
        .await
        .unwrap();
    let draft = loa::packs::folder::PackDraft::plain(loa::packs::period::PackKind::Urgent, None, "Khẩn", "Nội dung");
    let pack = loa::packs::store::create(&pool, &config, &draft, loa::audit::Actor::Cli).await.unwrap();
    sqlx::query("UPDATE packs SET status = 'scheduled', scheduled_for = 0 WHERE id = $1")
        .bind(pack)
        .execute(&pool)
        .await
        .unwrap();
    loa::delivery::broadcast::start(&pool, pack, loa::audit::Actor::Cli, 0).await.unwrap().unwrap();
    let before = loa::stats::pack(&pool, pack, loa::stats::View::at(2)).await.unwrap().unwrap();

    for (args, why) in [
        (vec!["units", "merge", "BP-1", "--into", "BP-1"], "BP-1 cannot be merged into itself"),
        (vec!["units", "merge", "TN", "--into", "P-DT"], "TN is the province's committee"),
        (vec!["units", "merge", "X-BV", "--into", "BP-1"], "BP-1 is under X-BV"),
        (vec!["units", "merge", "X-KHONG", "--into", "P-DT"], "unit \"X-KHONG\": no unit with that code"),
    ] {
        let (code, _, err) = run(dir.path(), &args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
    let (code, out, err) = run(dir.path(), &["units", "merge", "BP-1", "--into", "P-DT"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("BP-1 (Đảng bộ bộ phận Bản Chang) merged into P-DT (Đảng ủy phường Đức Xuân): 1 cells, 0 units under it and 1 officers moved"), "{out}");
    let (code, _, err) = run(dir.path(), &["units", "merge", "BP-1", "--into", "P-DT"]);
    assert_eq!(code, 2);
    assert!(err.contains("BP-1 was retired by an earlier merger"), "{err}");
    let (_, out, _) = run(dir.path(), &["units", "list", "--format", "json"]);
    let listed: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(!listed.iter().any(|u| u["code"] == "BP-1"), "a retired unit is not listed: {out}");
    let ward = listed.iter().find(|u| u["code"] == "P-DT").unwrap();
    assert_eq!(ward["cells"], 2, "{ward}");

    // the cell and the officer now belong to the ward; the old pack's figures have not moved
    let cb2: (String, String) = sqlx::query_as(
        "SELECT u.code, c.district FROM cells c JOIN units u ON u.id = c.unit_id WHERE c.code = 'CB-002'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(cb2, ("P-DT".into(), "Đảng ủy phường Đức Xuân".into()));
    let officer: String =
        sqlx::query_scalar("SELECT u.code FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.user_id = 4242")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(officer, "P-DT");
    let after = loa::stats::pack(&pool, pack, loa::stats::View::at(2)).await.unwrap().unwrap();
    assert_eq!(after.total, before.total, "nothing lost or counted twice");
    assert!(after.groups.iter().any(|g| g.unit.code == "BP-1"), "the old pack still shows the cell where it was");
    // a pack sent after the merger counts the cell under the ward
    let pack2 = loa::packs::store::create(&pool, &config, &draft, loa::audit::Actor::Cli).await.unwrap();
    sqlx::query("UPDATE packs SET status = 'scheduled', scheduled_for = 0 WHERE id = $1")
        .bind(pack2)
        .execute(&pool)
        .await
        .unwrap();
    loa::delivery::broadcast::start(&pool, pack2, loa::audit::Actor::Cli, 1).await.unwrap().unwrap();
    let now = loa::stats::pack(&pool, pack2, loa::stats::View::PROVINCE).await.unwrap().unwrap();
    let ward = now.groups.iter().find(|g| g.unit.code == "P-DT").unwrap();
    assert_eq!(ward.counts.targeted, 2, "the ward's own cell and the one merged in");
    assert!(!now.groups.iter().any(|g| g.unit.code == "BP-1"));
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'units.merge' AND subject = 'BP-1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

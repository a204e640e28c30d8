//! Files: attachments to entries, the documents (OCR) API and expense bills.

use std::collections::{BTreeSet, HashMap};

use axum::body::Body;
use axum::extract::Multipart;
use axum::extract::State;
use axum::http::Response;
use serde_json::{Value, json};

use super::state::{DOSSIER, S};
use crate::mock::json_response;

pub(super) async fn fields(m: Multipart) -> Result<HashMap<String, String>, String> {
    parts(m).await.map(|(fields, _)| fields)
}

/// The form fields (a file as `file:<name>:<size>`) and the files' names and bytes.
type Parts = (HashMap<String, String>, Vec<(String, Vec<u8>)>);

async fn parts(mut m: Multipart) -> Result<Parts, String> {
    let mut out = HashMap::new();
    let mut files = Vec::new();
    while let Some(f) = m.next_field().await.map_err(|e| e.to_string())? {
        let name = f.name().unwrap_or("").to_string();
        let file = f.file_name().map(str::to_string);
        let bytes = f.bytes().await.map_err(|e| e.to_string())?;
        let value = match file {
            Some(fname) => {
                files.push((fname.clone(), bytes.to_vec()));
                format!("file:{fname}:{}", bytes.len())
            }
            None => String::from_utf8_lossy(&bytes).into_owned(),
        };
        out.insert(name, value);
    }
    Ok((out, files))
}

/// The file types `/accounting-documents` takes (research notes, Inqom: "Types: pdf, png, jpg,
/// jpeg, xls, xlsx, doc, docx, csv, txt").
pub const ATTACHABLE: [&str; 10] = [
    "pdf", "png", "jpg", "jpeg", "xls", "xlsx", "doc", "docx", "csv", "txt",
];

pub(super) async fn attach(State((state, _)): S, m: Multipart) -> Response<Body> {
    let (f, files) = match parts(m).await {
        Ok(p) => p,
        Err(e) => return json_response(400, &json!({"Message": e}).to_string()),
    };
    let mut st = state.lock().unwrap();
    let names: BTreeSet<String> = f.keys().cloned().collect();
    for k in &names {
        if !["entryId", "date", "reference", "fileName", "file"].contains(&k.as_str()) {
            st.violations
                .push(format!("accounting-documents: unknown field {k}"));
        }
    }
    let entry_ok = f
        .get("entryId")
        .and_then(|e| e.parse::<i64>().ok())
        .is_some_and(|id| st.entries.iter().any(|e| e.id == id));
    if !entry_ok || !f.get("file").is_some_and(|v| v.starts_with("file:")) {
        st.violations
            .push("accounting-documents: entryId and file are required".into());
        return json_response(400, r#"{"Message":"entryId and file are required"}"#);
    }
    let typed = |name: &str| {
        name.rsplit_once('.')
            .is_some_and(|(_, ext)| ATTACHABLE.contains(&ext.to_ascii_lowercase().as_str()))
    };
    if !files.iter().all(|(name, _)| typed(name)) {
        return json_response(400, r#"{"Message":"File type not allowed"}"#);
    }
    st.attachments.push(names);
    st.attached_files.extend(files);
    let id = st.id();
    json_response(201, &json!({"Id": id}).to_string())
}

pub(super) async fn upload_document(State((state, _)): S, m: Multipart) -> Response<Body> {
    let f = match fields(m).await {
        Ok(f) => f,
        Err(e) => return json_response(400, &json!({"Message": e}).to_string()),
    };
    let mut st = state.lock().unwrap();
    let names: BTreeSet<String> = f.keys().cloned().collect();
    for k in &names {
        if ![
            "TypeScan",
            "FileSource",
            "Document",
            "DocRef",
            "SourceId",
            "WithoutWorkflow",
            "DocumentName",
        ]
        .contains(&k.as_str())
        {
            st.violations.push(format!("Documents: unknown field {k}"));
        }
    }
    if !matches!(
        f.get("TypeScan").map(String::as_str),
        Some("Client" | "Supplier" | "Others")
    ) || f.get("FileSource").map(String::as_str) != Some("Api")
        || !f.get("Document").is_some_and(|v| v.starts_with("file:"))
    {
        st.violations.push(format!("Documents: bad form {f:?}"));
        return json_response(
            400,
            r#"{"Message":"TypeScan, FileSource and Document are required"}"#,
        );
    }
    if let Some(existing) = st
        .documents
        .iter()
        .find(|(_, d)| d.get("DocRef") == f.get("DocRef"))
    {
        let id = existing.0;
        return json_response(200, &json!({"Id": id, "Status": "Duplicate"}).to_string());
    }
    let id = st.id();
    st.document_fields.push(names);
    st.documents.push((id, f));
    json_response(200, &json!({"Id": id, "Status": "Received"}).to_string())
}

pub(super) async fn list_documents(State((state, _)): S) -> Response<Body> {
    let st = state.lock().unwrap();
    let mut list: Vec<Value> = st
        .documents
        .iter()
        .map(|(id, f)| {
            json!({"Id": id, "AccountingFolderId": DOSSIER, "Name": f.get("DocumentName"), "Type": f.get("TypeScan"),
                   "Source": "Api", "DocRef": f.get("DocRef"), "Status": "Received"})
        })
        .collect();
    list.extend(st.expense_bills.iter().enumerate().map(|(i, f)| {
        json!({"Id": 900_000 + i, "AccountingFolderId": DOSSIER, "Name": f.get("FileNameWithExtension"), "Type": "ExpenseReport",
               "Source": "Api", "DocRef": f.get("DocumentReference"), "Status": "Received"})
    }));
    json_response(200, &Value::Array(list).to_string())
}

pub(super) async fn expense_bill(State((state, _)): S, m: Multipart) -> Response<Body> {
    let f = match fields(m).await {
        Ok(f) => f,
        Err(e) => return json_response(400, &json!({"Message": e}).to_string()),
    };
    let mut st = state.lock().unwrap();
    let names: BTreeSet<String> = f.keys().cloned().collect();
    for k in &names {
        if ![
            "File",
            "BeneficiaryFullName",
            "FileNameWithExtension",
            "DocumentReference",
        ]
        .contains(&k.as_str())
        {
            st.violations
                .push(format!("expense-bills: unknown field {k}"));
        }
    }
    if !f.get("File").is_some_and(|v| v.starts_with("file:")) {
        st.violations.push("expense-bills: File is required".into());
        return json_response(400, r#"{"Message":"File is required"}"#);
    }
    let id = 900_000 + st.expense_bills.len() as i64;
    st.expense_fields.push(names);
    st.expense_bills.push(f);
    json_response(201, &json!({"Id": id}).to_string())
}

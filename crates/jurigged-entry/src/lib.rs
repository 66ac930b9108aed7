//! `#[py_entry]`: the attribute every entry from Python into jurigged carries, on
//! a `#[pymethods]` block or a `#[pyfunction]` (written above the pyo3 attribute,
//! so pyo3 sees the guarded function).
//!
//! It runs each function's body inside the crate's panic boundary
//! (`crate::boundary::entry`), so a bug of ours reaches Python as an ordinary
//! exception of ours and never as pyo3's `PanicException`, a `BaseException`
//! that `except Exception` lets through. On an impl block it guards every
//! method, so a method added later is guarded without anyone remembering to;
//! `cargo xtask layering` refuses a `#[pymethods]` or `#[pyfunction]` without it.
//!
//! A function returning `PyResult<T>` (or `Result<T, E>`) keeps its type and
//! its body runs in `boundary::entry`; one returning a plain `T` (or nothing)
//! is made to return `PyResult<T>`, its body running in `boundary::entry_value`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, Block, ImplItem, Item, ReturnType, Signature, Type};

/// Guards every method of a `#[pymethods]` block, or one `#[pyfunction]`.
#[proc_macro_attribute]
pub fn py_entry(args: TokenStream, input: TokenStream) -> TokenStream {
    if !args.is_empty() {
        let args = proc_macro2::TokenStream::from(args);
        return syn::Error::new_spanned(args, "#[py_entry] takes no arguments").to_compile_error().into();
    }
    let mut item = parse_macro_input!(input as Item);
    match &mut item {
        Item::Impl(block) => {
            for member in &mut block.items {
                if let ImplItem::Fn(method) = member {
                    if !pyo3_fixes_the_signature(&method.sig) {
                        guard(&mut method.sig, &mut method.block);
                    }
                }
            }
        }
        Item::Fn(function) => guard(&mut function.sig, &mut function.block),
        other => {
            return syn::Error::new_spanned(other, "#[py_entry] goes on a #[pymethods] impl block or a #[pyfunction]")
                .to_compile_error()
                .into()
        }
    }
    quote!(#item).into()
}

/// The garbage collector's slots, whose signatures pyo3 prescribes (and which
/// must not raise).
fn pyo3_fixes_the_signature(sig: &Signature) -> bool {
    sig.ident == "__traverse__" || sig.ident == "__clear__"
}

/// Rewrites `sig` and `body` so that the body runs inside the boundary.
fn guard(sig: &mut Signature, body: &mut Block) {
    let inner = &*body;
    let guarded: Block = match &sig.output {
        ReturnType::Type(_, ty) if returns_result(ty) => {
            syn::parse_quote!({ crate::boundary::entry(|| #inner) })
        }
        output => {
            let ty: Type = match output {
                ReturnType::Type(_, ty) => (**ty).clone(),
                ReturnType::Default => syn::parse_quote!(()),
            };
            sig.output = syn::parse_quote!(-> ::pyo3::PyResult<#ty>);
            syn::parse_quote!({ crate::boundary::entry_value(|| #inner) })
        }
    };
    *body = guarded;
}

/// Whether `ty` is spelled as a result (`PyResult<T>`, `Result<T, E>`).
fn returns_result(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.path.segments.last().is_some_and(|last| last.ident == "PyResult" || last.ident == "Result")
}

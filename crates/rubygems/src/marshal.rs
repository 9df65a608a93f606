//! Ruby's Marshal format 4.8, written by hand for what the legacy indexes
//! and the dependency API need: nil, booleans, small integers, UTF-8
//! strings, symbols, arrays, hashes, plain objects and the user-dumped
//! classes `Gem::Version`, `Gem::Requirement`, `Gem::Specification` and
//! `Time`. Only ever written, never read, so no Ruby object is loaded here.

use std::collections::HashMap;

use crate::metadata::{Constraint, GemSpec};
use crate::version::Platform;

/// A Ruby value to be dumped.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i32),
    /// A UTF-8 `String`.
    Str(String),
    Symbol(String),
    Array(Vec<Value>),
    Hash(Vec<(Value, Value)>),
    /// `o`: a plain object and its instance variables (names with `@`).
    Object(&'static str, Vec<(&'static str, Value)>),
    /// `U`: a class with `marshal_dump`, and what it returned.
    UserMarshal(&'static str, Box<Value>),
    /// `u`: a class with `_dump`, and the bytes it returned.
    UserDump(&'static str, Vec<u8>),
}

/// `Marshal.dump(value)`.
pub fn dump(value: &Value) -> Vec<u8> {
    let mut w = Writer {
        out: vec![4, 8],
        symbols: HashMap::new(),
    };
    w.value(value);
    w.out
}

struct Writer {
    out: Vec<u8>,
    symbols: HashMap<String, usize>,
}

impl Writer {
    /// Marshal's packed integer (`w_long`).
    fn long(&mut self, n: i32) {
        match n {
            0 => self.out.push(0),
            1..=122 => self.out.push((n + 5) as u8),
            -123..=-1 => self.out.push((n - 5) as u8),
            _ => {
                let bytes = n.to_le_bytes();
                let mut len = 4;
                if n > 0 {
                    while len > 1 && bytes[len - 1] == 0 {
                        len -= 1;
                    }
                    self.out.push(len as u8);
                } else {
                    while len > 1 && bytes[len - 1] == 0xff {
                        len -= 1;
                    }
                    self.out.push((256 - len) as u8);
                }
                self.out.extend_from_slice(&bytes[..len]);
            }
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.long(i32::try_from(b.len()).expect("Marshal strings stay under 2 GiB"));
        self.out.extend_from_slice(b);
    }

    fn symbol(&mut self, name: &str) {
        if let Some(&i) = self.symbols.get(name) {
            self.out.push(b';');
            self.long(i as i32);
        } else {
            let i = self.symbols.len();
            self.symbols.insert(name.to_owned(), i);
            self.out.push(b':');
            self.bytes(name.as_bytes());
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Nil => self.out.push(b'0'),
            Value::Bool(true) => self.out.push(b'T'),
            Value::Bool(false) => self.out.push(b'F'),
            Value::Int(n) => {
                self.out.push(b'i');
                self.long(*n);
            }
            Value::Str(s) => {
                // An instance variable holds the encoding: `E` true is UTF-8.
                self.out.extend_from_slice(b"I\"");
                self.bytes(s.as_bytes());
                self.long(1);
                self.symbol("E");
                self.out.push(b'T');
            }
            Value::Symbol(s) => self.symbol(s),
            Value::Array(items) => {
                self.out.push(b'[');
                self.long(items.len() as i32);
                for item in items {
                    self.value(item);
                }
            }
            Value::Hash(entries) => {
                self.out.push(b'{');
                self.long(entries.len() as i32);
                for (k, v) in entries {
                    self.value(k);
                    self.value(v);
                }
            }
            Value::Object(class, ivars) => {
                self.out.push(b'o');
                self.symbol(class);
                self.long(ivars.len() as i32);
                for (name, value) in ivars {
                    self.symbol(name);
                    self.value(value);
                }
            }
            Value::UserMarshal(class, data) => {
                self.out.push(b'U');
                self.symbol(class);
                self.value(data);
            }
            Value::UserDump(class, data) => {
                self.out.push(b'u');
                self.symbol(class);
                self.bytes(data);
            }
        }
    }
}

/// A `Gem::Version`.
pub fn gem_version(v: &str) -> Value {
    Value::UserMarshal(
        "Gem::Version",
        Box::new(Value::Array(vec![Value::Str(v.to_owned())])),
    )
}

/// A `Gem::Requirement`; an empty list is `>= 0`.
pub fn requirement(constraints: &[Constraint]) -> Value {
    let pairs: Vec<Value> = if constraints.is_empty() {
        vec![Value::Array(vec![
            Value::Str(">=".into()),
            gem_version("0"),
        ])]
    } else {
        constraints
            .iter()
            .map(|(op, v)| Value::Array(vec![Value::Str(op.clone()), gem_version(v)]))
            .collect()
    };
    Value::UserMarshal(
        "Gem::Requirement",
        Box::new(Value::Array(vec![Value::Array(pairs)])),
    )
}

/// A UTC midnight `Time` for `YYYY-MM-DD`, in `Time#_dump`'s packed form.
pub fn time(date: &str) -> Option<Value> {
    use chrono::Datelike;
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let year = u32::try_from(d.year() - 1900)
        .ok()
        .filter(|y| *y <= 0xffff)?;
    // Bit 31: new format; bit 30: UTC; then year, month (0-based), day, hour.
    let p: u32 = (1 << 31) | (1 << 30) | (year << 14) | (d.month0() << 10) | (d.day() << 5);
    let s: u32 = 0; // minutes, seconds and microseconds
    let mut packed = p.to_le_bytes().to_vec();
    packed.extend_from_slice(&s.to_le_bytes());
    Some(Value::UserDump("Time", packed))
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| Value::Str(s.clone())).collect())
}

fn opt_str(s: Option<&String>) -> Value {
    s.map_or(Value::Nil, |s| Value::Str(s.clone()))
}

fn platform(text: &str) -> Value {
    if text == "ruby" {
        return Value::Str("ruby".into());
    }
    let p = Platform::parse(text);
    Value::Object(
        "Gem::Platform",
        vec![
            ("@cpu", p.cpu.map_or(Value::Nil, Value::Str)),
            ("@os", Value::Str(p.os)),
            ("@version", p.version.map_or(Value::Nil, Value::Str)),
        ],
    )
}

/// The `Gem::Specification` of a quick index entry, as `_dump` writes it.
pub fn specification(spec: &GemSpec) -> Value {
    let dependencies = spec
        .dependencies
        .iter()
        .map(|d| {
            Value::Object(
                "Gem::Dependency",
                vec![
                    ("@name", Value::Str(d.name.clone())),
                    ("@requirement", requirement(&d.requirements)),
                    ("@type", Value::Symbol(d.kind.clone())),
                    ("@prerelease", Value::Bool(false)),
                ],
            )
        })
        .collect();
    let email = match spec.email.as_slice() {
        [] => Value::Nil,
        [one] => Value::Str(one.clone()),
        many => strings(many),
    };
    let metadata = Value::Hash(
        spec.metadata
            .iter()
            .map(|(k, v)| (Value::Str(k.clone()), Value::Str(v.clone())))
            .collect(),
    );
    let fields = Value::Array(vec![
        Value::Str(
            spec.rubygems_version
                .clone()
                .unwrap_or_else(|| "3.3.15".into()),
        ),
        Value::Int(
            spec.specification_version
                .map_or(4, |v| v.clamp(1, 4) as i32),
        ),
        Value::Str(spec.name.clone()),
        gem_version(&spec.version),
        spec.date.as_deref().and_then(time).unwrap_or(Value::Nil),
        opt_str(spec.summary.as_ref()),
        requirement(&spec.required_ruby_version),
        requirement(&spec.required_rubygems_version),
        Value::Str(spec.platform.clone()),
        Value::Array(dependencies),
        Value::Str(String::new()), // rubyforge_project, long gone
        email,
        strings(&spec.authors),
        opt_str(spec.description.as_ref()),
        opt_str(spec.homepage.as_ref()),
        Value::Bool(true), // has_rdoc
        platform(&spec.platform),
        strings(&spec.licenses),
        metadata,
    ]);
    Value::UserDump("Gem::Specification", dump(&fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_dump_as_ruby_does() {
        // Reference bytes from `Marshal.dump` in Ruby 3.1.
        assert_eq!(dump(&Value::Nil), b"\x04\x080");
        assert_eq!(dump(&Value::Int(300)), b"\x04\x08i\x02\x2c\x01");
        assert_eq!(dump(&Value::Int(-200)), b"\x04\x08i\xff\x38");
        assert_eq!(dump(&Value::Int(5)), b"\x04\x08i\x0a");
        assert_eq!(
            dump(&Value::Str("a".into())),
            b"\x04\x08I\"\x06a\x06:\x06ET"
        );
        assert_eq!(
            dump(&Value::Array(vec![
                Value::Symbol("a".into()),
                Value::Symbol("a".into())
            ])),
            b"\x04\x08[\x07:\x06a;\x00"
        );
        assert_eq!(
            dump(&gem_version("1.0")),
            b"\x04\x08U:\x11Gem::Version[\x06I\"\x081.0\x06:\x06ET"
        );
        assert_eq!(
            dump(&time("1970-01-01").unwrap()),
            b"\x04\x08u:\tTime\r\x20\x80\x11\xc0\x00\x00\x00\x00"
        );
    }
}

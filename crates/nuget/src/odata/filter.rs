//! The `$filter` subset clients write: property names (booleans),
//! `eq`/`ne` between properties (optionally in `tolower`/`toupper`) and
//! literals, `not`, `and`, `or` and parentheses, parsed with a depth limit
//! and evaluated against one entry's properties.

use super::request::literal;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Prop(String),
    Lower(Box<Expr>),
    Upper(Box<Expr>),
    Str(String),
    Bool(bool),
    Eq(Box<Expr>, Box<Expr>),
    Ne(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

fn tokens(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' || c == ')' || c == ',' {
            out.push(c.to_string());
            i += 1;
        } else if c == '\'' {
            let mut s = String::from("'");
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string in $filter".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push_str("''");
                        i += 2;
                    }
                    Some('\'') => {
                        s.push('\'');
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        s.push(c);
                        i += 1;
                    }
                }
            }
            out.push(s);
        } else {
            let mut s = String::new();
            while let Some(&c) = chars.get(i) {
                if c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == '\'' {
                    break;
                }
                s.push(c);
                i += 1;
            }
            out.push(s);
        }
    }
    Ok(out)
}

type Parsed = Result<Expr, String>;
type Operand = fn(&mut Parser, usize) -> Parsed;
type Join = fn(Box<Expr>, Box<Expr>) -> Expr;

struct Parser {
    tokens: Vec<String>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn expect(&mut self, t: &str) -> Result<(), String> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            other => Err(format!("expected {t} in $filter, found {other:?}")),
        }
    }

    /// `operand (word operand)*`, joined from the left.
    fn chain(&mut self, depth: usize, word: &str, operand: Operand, join: Join) -> Parsed {
        let mut left = operand(self, depth)?;
        while self.peek() == Some(word) {
            self.next();
            left = join(Box::new(left), Box::new(operand(self, depth)?));
        }
        Ok(left)
    }

    fn or(&mut self, depth: usize) -> Parsed {
        self.chain(depth, "or", Self::and, Expr::Or)
    }

    fn and(&mut self, depth: usize) -> Parsed {
        self.chain(depth, "and", Self::comparison, Expr::And)
    }

    fn comparison(&mut self, depth: usize) -> Parsed {
        let left = self.unary(depth)?;
        let join: Join = match self.peek() {
            Some("eq") => Expr::Eq,
            Some("ne") => Expr::Ne,
            _ => return Ok(left),
        };
        self.next();
        Ok(join(Box::new(left), Box::new(self.unary(depth)?)))
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > 32 {
            return Err("$filter nests too deeply".into());
        }
        let t = self.next().ok_or("$filter ends early")?;
        match t.as_str() {
            "(" => {
                let e = self.or(depth + 1)?;
                self.expect(")")?;
                Ok(e)
            }
            "not" => Ok(Expr::Not(Box::new(self.unary(depth + 1)?))),
            "tolower" | "toupper" => {
                self.expect("(")?;
                let e = self.or(depth + 1)?;
                self.expect(")")?;
                Ok(if t == "tolower" {
                    Expr::Lower(Box::new(e))
                } else {
                    Expr::Upper(Box::new(e))
                })
            }
            "true" => Ok(Expr::Bool(true)),
            "false" => Ok(Expr::Bool(false)),
            s if s.starts_with('\'') => Ok(Expr::Str(literal(s))),
            s if s.chars().all(|c| c.is_ascii_alphanumeric()) => Ok(Expr::Prop(s.to_owned())),
            other => Err(format!("unsupported $filter term {other}")),
        }
    }
}

pub fn parse(text: &str) -> Result<Expr, String> {
    let mut p = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    let e = p.or(0)?;
    if p.at != p.tokens.len() {
        return Err("unsupported $filter".into());
    }
    Ok(e)
}

#[derive(Debug, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
}

pub fn eval(e: &Expr, prop: &dyn Fn(&str) -> Option<Value>) -> Value {
    let truth = |e: &Expr| matches!(eval(e, prop), Value::Bool(true));
    match e {
        Expr::Prop(p) => prop(p).unwrap_or(Value::Bool(false)),
        Expr::Str(s) => Value::Str(s.clone()),
        Expr::Bool(b) => Value::Bool(*b),
        Expr::Lower(x) => match eval(x, prop) {
            Value::Str(s) => Value::Str(s.to_lowercase()),
            v @ Value::Bool(_) => v,
        },
        Expr::Upper(x) => match eval(x, prop) {
            Value::Str(s) => Value::Str(s.to_uppercase()),
            v @ Value::Bool(_) => v,
        },
        Expr::Eq(a, b) => Value::Bool(eval(a, prop) == eval(b, prop)),
        Expr::Ne(a, b) => Value::Bool(eval(a, prop) != eval(b, prop)),
        Expr::Not(x) => Value::Bool(!truth(x)),
        Expr::And(a, b) => Value::Bool(truth(a) && truth(b)),
        Expr::Or(a, b) => Value::Bool(truth(a) || truth(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::{Value, eval, parse};

    #[test]
    fn the_filters_clients_write_are_understood() {
        let props = |name: &str| match name {
            "Id" => Some(Value::Str("Tiny.Demo".into())),
            "Version" => Some(Value::Str("1.0.0".into())),
            "IsLatestVersion" => Some(Value::Bool(true)),
            "IsPrerelease" => Some(Value::Bool(false)),
            _ => None,
        };
        for (text, want) in [
            ("IsLatestVersion", true),
            ("tolower(Id) eq 'tiny.demo'", true),
            (
                "(tolower(Id) eq 'tiny.demo') and (Version eq '1.0.0')",
                true,
            ),
            ("Id eq 'Other' or IsPrerelease", false),
            ("not IsPrerelease and IsLatestVersion", true),
            ("Id ne 'It''s'", true),
        ] {
            let e = parse(text).unwrap();
            assert_eq!(eval(&e, &props), Value::Bool(want), "{text}");
        }
        assert!(parse("substringof('a', Id) eq true extra").is_err());
    }
}

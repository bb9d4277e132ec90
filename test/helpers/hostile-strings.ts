/** Random strings full of what matters to a SQL lexer (quotes, backslashes, NUL, comments) and the rest of Unicode, for fuzzing the escaping. */

const NASTY = [
  "'",
  "\\",
  '"',
  "`",
  "\0",
  "\n",
  "\r",
  "\t",
  "\b",
  "\f",
  ";",
  "-",
  "--",
  "/*",
  "*/",
  "?",
  "{",
  "}",
  "$",
  "\\'",
  "''",
  "\u2028",
  "\u00e9",
  "\u{1F600}",
  "\uFEFF",
  "%",
  "\x1b",
  "\x7f",
  "\x01",
];

export function hostileString(r: () => number, maxLength = 40): string {
  const n = Math.floor(r() * maxLength);
  let s = "";
  for (let i = 0; i < n; i++) {
    const pick = r();
    if (pick < 0.5) s += NASTY[Math.floor(r() * NASTY.length)];
    else if (pick < 0.8) s += String.fromCharCode(32 + Math.floor(r() * 95));
    else {
      // Any code point except lone surrogates, which have no UTF-8 form.
      let cp = Math.floor(r() * 0x10ffff);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      s += String.fromCodePoint(cp);
    }
  }
  return s;
}

// enc_utf16le_split: setEncoding('utf16le') with a code unit split between reads, a
// surrogate pair split between reads, and a lone high surrogate left at the end.
module.exports = (t) => {
  t.feed('utf16le', [
    Buffer.from('a\x00b', 'latin1'),
    Buffer.from('\x00=\xd8', 'latin1'),
    Buffer.from('\x00\xdec\x00=\xd8', 'latin1'),
  ]);
};

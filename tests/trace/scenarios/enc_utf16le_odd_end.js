// enc_utf16le_odd_end: setEncoding('ucs2') (utf16le's alias) and an odd byte left at
// the end: the byte is dropped, readableEncoding says utf16le.
module.exports = (t) => {
  t.feed('ucs2', [
    Buffer.from('h\x00i\x00\xac', 'latin1'),
    Buffer.from('\x20!', 'latin1'),
  ]);
};

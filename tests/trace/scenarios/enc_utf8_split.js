// enc_utf8_split: setEncoding('utf8') with a 2-, a 3- and a 4-byte character each split
// between two reads, an invalid byte, and a character cut short by the end: U+FFFD.
module.exports = (t) => {
  t.feed('utf8', [
    Buffer.from('a\xc3', 'latin1'),
    Buffer.from('\xa9\xe2\x82', 'latin1'),
    Buffer.from('\xacb\xf0\x9f', 'latin1'),
    Buffer.from('\x98\x80c\xffd\xe2\x82', 'latin1'),
  ]);
};

// write_string_encodings: write(string, encoding) turns text into bytes as
// Buffer.from(string, encoding): hex stops at the first bad pair, base64 skips what is
// not of its alphabet and takes the url one too, latin1/ascii keep the low byte of each
// character, ucs2 gives two bytes per unit. The server side shows the bytes in hex.
module.exports = (t) => {
  t.pair({
    onConnection: (s) => {
      let text = '';
      t.threw(s, 'setEncoding', () => s.setEncoding('hex'));
      s.on('data', (d) => {
        text += d;
      });
      s.on('end', () => t.log(s, `bytes ${text}`));
    },
    onConnect: (c) => {
      const put = (str, enc) => t.threw(c, enc, () => c.write(str, enc));
      put('0a0Gff', 'hex');
      put('abc', 'hex');
      put('aGk=\n aGk', 'base64');
      put('_-8', 'base64url');
      put('+/8=', 'base64url');
      put('é€', 'latin1');
      put('é😀', 'ucs2');
      put('é€', 'ascii');
      put('x', 'klingon');
      t.threw(c, 'end', () => c.end('é', 'utf8'));
    },
  });
};

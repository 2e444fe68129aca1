// enc_ascii: setEncoding('ascii'): bytes over 0x7f lose their high bit.
module.exports = (t) => {
  t.feed('ascii', [
    Buffer.from('caf\xe9', 'latin1'),
    Buffer.from('\x80\xff', 'latin1'),
  ]);
};

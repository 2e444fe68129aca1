// enc_latin1: setEncoding('binary') (latin1's alias): each byte one character,
// the high half too; readableEncoding says latin1.
module.exports = (t) => {
  t.feed('binary', [
    Buffer.from('caf\xe9', 'latin1'),
    Buffer.from('\x80\xff', 'latin1'),
  ]);
};

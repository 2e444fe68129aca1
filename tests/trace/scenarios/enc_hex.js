// enc_hex: setEncoding('hex'): every byte as two digits, nothing held back.
module.exports = (t) => {
  t.feed('hex', [
    Buffer.from('\x01\xab', 'latin1'),
    Buffer.from('\xff\x00', 'latin1'),
  ]);
};

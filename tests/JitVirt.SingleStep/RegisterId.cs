namespace JitVirt.SingleStep;

/// <summary>
/// The 14 real-mode registers, numbered as the bits of the MOO <c>REGS</c> presence mask
/// (README "State chunks": <c>ax bx cx dx cs ss ds es sp bp si di ip flags</c>, bits 0–13).
/// </summary>
public enum RegisterId
{
    Ax = 0, Bx = 1, Cx = 2, Dx = 3,
    Cs = 4, Ss = 5, Ds = 6, Es = 7,
    Sp = 8, Bp = 9, Si = 10, Di = 11,
    Ip = 12, Flags = 13,
}

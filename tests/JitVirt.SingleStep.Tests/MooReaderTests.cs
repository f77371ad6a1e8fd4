using System.IO.Compression;
using JitVirt.SingleStep;

namespace JitVirt.SingleStep.Tests;

public class MooReaderTests
{
    // README: "325 instruction forms, 100 tests each: 32,500 tests".
    private const int ExpectedFiles = 325;
    private const int TestsPerFile = 100;

    [Fact]
    public void EveryFileReadsWithVerifiedHashesAndTheReadmeCounts()
    {
        var files = SingleStepDataDirectory.TestFiles(TestData.Root);
        var revocations = SingleStepDataDirectory.LoadRevocations(TestData.Root);
        Assert.Equal(ExpectedFiles, files.Length);

        int total = 0;
        var hashes = new HashSet<string>();
        foreach (var file in files)
        {
            using var reader = MooReader.Open(file, revocations);   // throws on a HASH mismatch
            Assert.Equal("C286", reader.Header.CpuId);
            Assert.Equal((uint)TestsPerFile, reader.Header.TestCount);
            int inFile = 0;
            uint previousIndex = 0;
            while (reader.ReadNext() is { } test)
            {
                Assert.Equal(20, test.Hash.Length);
                Assert.True(hashes.Add(test.HashHex), $"duplicate hash {test.HashHex} in {file}");
                Assert.Equal(0xF4, test.Bytes[^1]);                 // README: BYTS ends with the HLT
                if (inFile > 0) Assert.True(test.Index > previousIndex, "indices must rise");
                previousIndex = test.Index;
                inFile++;
            }
            Assert.Equal(TestsPerFile, inFile);
            total += inFile;
        }
        Assert.Equal(ExpectedFiles * TestsPerFile, total);
    }

    [Fact]
    public void FirstAddTestDecodesToTheValuesReadByHand()
    {
        // 00.MOO.gz, first TEST chunk, decoded by hand following the README's format rules.
        var test = MooReader.ReadAll(TestData.File("00"))[0];

        Assert.Equal(0u, test.Index);
        Assert.Equal("add [bx+0Eh],bl", test.Name);
        Assert.Equal(new byte[] { 0x00, 0x5F, 0x0E, 0xF4 }, test.Bytes);
        Assert.Equal("626be5084b331080eb08256c12a62d24afdf2a03", test.HashHex);
        Assert.Null(test.Exception);

        ushort[] init = [0x02CB, 0x6823, 0xC18C, 0xFAB5, 0xFFFF, 0xA0D7, 0xFFFF, 0xABDC,
                         0x9B59, 0xFFFF, 0x89BE, 0x8749, 0x94B8, 0x1893];
        Assert.Equal(init, test.InitialRegisters.Values.ToArray());

        // The instruction sits at CS:IP = FFFF:94B8 = linear 1094A8h (above 1 MB: no wrap).
        Assert.Equal(new RamByte(0x1094A8, 0x00), test.InitialRam[0]);
        Assert.Equal(new RamByte(0x1094A9, 0x5F), test.InitialRam[1]);

        // FINA lists only IP and FLAGS; every other register keeps its INIT value.
        Assert.Equal((ushort)((1 << (int)RegisterId.Ip) | (1 << (int)RegisterId.Flags)), test.FinalRegisterMask);
        ushort[] final = (ushort[])init.Clone();
        final[(int)RegisterId.Ip] = 0x94BC;      // one past the HLT at 94BBh
        final[(int)RegisterId.Flags] = 0x0013;
        Assert.Equal(final, test.FinalRegisters.Values.ToArray());

        // add [bx+0Eh],bl writes DS:BX+0Eh = FFFF0h + 6831h = 106821h.
        Assert.Equal([new RamByte(0x106821, 0x01)], test.FinalRam);
    }

    [Fact]
    public void ExceptionChunkIsDecoded()
    {
        // CC (INT 3): every test takes vector 3 and pushes FLAGS at SS:(SP-2). The recorded
        // flag address is the word-aligned bus address, so it is one lower when SP is odd.
        int oddSp = 0;
        foreach (var test in MooReader.ReadAll(TestData.File("CC")))
        {
            Assert.NotNull(test.Exception);
            Assert.Equal(3, test.Exception!.Value.Vector);
            uint sp = test.InitialRegisters[RegisterId.Sp];
            uint ss = test.InitialRegisters[RegisterId.Ss];
            uint flagsAt = ss * 16 + ((sp - 2) & 0xFFFF);
            Assert.Equal(flagsAt, ExceptionFrame.PushedFlagsAddress(test));
            Assert.Equal(flagsAt & ~1u, test.Exception.Value.FlagAddress);
            if ((sp & 1) != 0) oddSp++;
        }
        Assert.True(oddSp > 0, "the odd-SP case should be exercised");
    }

    [Fact]
    public void TamperedTestFailsItsHashCheck()
    {
        var raw = Decompress(TestData.File("00"));
        int nameAt = IndexOf(raw, "add [bx+0Eh],bl"u8);
        raw[nameAt] = (byte)'A';
        using var reader = new MooReader(new MemoryStream(Compress(raw)));
        Assert.Throws<InvalidDataException>(() => reader.ReadNext());
    }

    [Fact]
    public void RevokedTestIsSkipped()
    {
        var revoked = new RevocationList(["626BE5084B331080EB08256C12A62D24AFDF2A03"]);
        using var reader = MooReader.Open(TestData.File("00"), revoked);
        var tests = reader.ReadTests().ToList();
        Assert.Equal(99, tests.Count);
        Assert.Equal(1, reader.RevokedCount);
        Assert.DoesNotContain(tests, t => t.Index == 0);
    }

    [Fact]
    public void UnknownChunksAreSteppedOver()
    {
        var raw = Decompress(TestData.File("00"));
        // Insert an unknown top-level chunk after MOO (8+12) and META (8+31).
        int at = 8 + 12 + 8 + 31;
        byte[] junk = [(byte)'J', (byte)'U', (byte)'N', (byte)'K', 3, 0, 0, 0, 1, 2, 3];
        var patched = raw[..at].Concat(junk).Concat(raw[at..]).ToArray();
        using var reader = new MooReader(new MemoryStream(Compress(patched)));
        Assert.Equal(100, reader.ReadTests().Count());
    }

    private static byte[] Decompress(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    private static byte[] Compress(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle)
    {
        int at = haystack.AsSpan().IndexOf(needle);
        Assert.True(at >= 0);
        return at;
    }
}

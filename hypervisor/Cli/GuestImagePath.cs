// Where `parakit run NAME` finds its image: a path that exists is used as is; a bare name
// (no folder, with or without .elf) is looked up as out/guests/NAME.elf, first under the
// current folder, then next to the parakit binary (out/bin/../guests). Pure: the file test and
// the two folders are passed in, so tests need no files; the folders are asked for only when a
// bare name needs them (AppContext.BaseDirectory costs ~20 us of every `parakit run`).
namespace ParaKit.Hypervisor.Cli;

public static class GuestImagePath
{
    /// <summary>The image to boot, or null (for a bare name found nowhere) with
    /// <paramref name="error"/> saying what was tried.</summary>
    public static string? Resolve(string image, Func<string> currentDirectory, Func<string> binaryDirectory, Func<string, bool> fileExists, out string error)
    {
        error = "";
        if (fileExists(image))
            return image;
        bool bareName = image.Length > 0 && image.IndexOf('/') < 0;
        if (!bareName)
            return image;                 // a path: the image loader says what is wrong with it
        string file = image.EndsWith(".elf", StringComparison.Ordinal) ? image : image + ".elf";
        string inTree = Path.Combine(currentDirectory(), "out", "guests", file);
        if (fileExists(inTree))
            return inTree;
        string besideBinary = Path.GetFullPath(Path.Combine(binaryDirectory(), "..", "guests", file));
        if (fileExists(besideBinary))
            return besideBinary;
        string app = Path.GetFileNameWithoutExtension(file);
        error = $"run: no image '{image}': not a file here, and no out/guests/{file} (build it with `make guest APP={app}` or `guestkernel/build.sh {app}`)";
        return null;
    }
}

namespace ParaKit.Tests;

public class SmokeTests
{
    [Test]
    public void Builds() => Assert.That(1 + 1, Is.EqualTo(2));
}

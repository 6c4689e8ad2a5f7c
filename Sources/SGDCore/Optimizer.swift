/// Plain gradient descent on the flat parameter vector: θ ← θ − η·∇θ C.
public struct GradientDescent<T: Scalar> {
    public var learningRate: T

    public init(learningRate: T) { self.learningRate = learningRate }

    public func step(_ parameters: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>, count: Int) {
        for i in 0..<count { parameters[i] -= learningRate * gradient[i] }
    }
}

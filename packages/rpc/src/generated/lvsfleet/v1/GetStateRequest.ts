// Original file: proto/lvsfleet/v1/agent.proto


export interface GetStateRequest {
}

export interface GetStateRequest__Output {
}

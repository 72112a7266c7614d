// Original file: proto/lvsfleet/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentInfo as _lvsfleet_v1_AgentInfo, AgentInfo__Output as _lvsfleet_v1_AgentInfo__Output } from '../../lvsfleet/v1/AgentInfo.ts';
import type { AgentState as _lvsfleet_v1_AgentState, AgentState__Output as _lvsfleet_v1_AgentState__Output } from '../../lvsfleet/v1/AgentState.ts';
import type { ApplyRequest as _lvsfleet_v1_ApplyRequest, ApplyRequest__Output as _lvsfleet_v1_ApplyRequest__Output } from '../../lvsfleet/v1/ApplyRequest.ts';
import type { ApplyResponse as _lvsfleet_v1_ApplyResponse, ApplyResponse__Output as _lvsfleet_v1_ApplyResponse__Output } from '../../lvsfleet/v1/ApplyResponse.ts';
import type { Event as _lvsfleet_v1_Event, Event__Output as _lvsfleet_v1_Event__Output } from '../../lvsfleet/v1/Event.ts';
import type { GetInfoRequest as _lvsfleet_v1_GetInfoRequest, GetInfoRequest__Output as _lvsfleet_v1_GetInfoRequest__Output } from '../../lvsfleet/v1/GetInfoRequest.ts';
import type { GetStateRequest as _lvsfleet_v1_GetStateRequest, GetStateRequest__Output as _lvsfleet_v1_GetStateRequest__Output } from '../../lvsfleet/v1/GetStateRequest.ts';
import type { RunActionRequest as _lvsfleet_v1_RunActionRequest, RunActionRequest__Output as _lvsfleet_v1_RunActionRequest__Output } from '../../lvsfleet/v1/RunActionRequest.ts';
import type { RunActionResponse as _lvsfleet_v1_RunActionResponse, RunActionResponse__Output as _lvsfleet_v1_RunActionResponse__Output } from '../../lvsfleet/v1/RunActionResponse.ts';
import type { SetSimulatedHealthRequest as _lvsfleet_v1_SetSimulatedHealthRequest, SetSimulatedHealthRequest__Output as _lvsfleet_v1_SetSimulatedHealthRequest__Output } from '../../lvsfleet/v1/SetSimulatedHealthRequest.ts';
import type { SetSimulatedHealthResponse as _lvsfleet_v1_SetSimulatedHealthResponse, SetSimulatedHealthResponse__Output as _lvsfleet_v1_SetSimulatedHealthResponse__Output } from '../../lvsfleet/v1/SetSimulatedHealthResponse.ts';
import type { SetSimulatedTrafficRequest as _lvsfleet_v1_SetSimulatedTrafficRequest, SetSimulatedTrafficRequest__Output as _lvsfleet_v1_SetSimulatedTrafficRequest__Output } from '../../lvsfleet/v1/SetSimulatedTrafficRequest.ts';
import type { SimulatedTraffic as _lvsfleet_v1_SimulatedTraffic, SimulatedTraffic__Output as _lvsfleet_v1_SimulatedTraffic__Output } from '../../lvsfleet/v1/SimulatedTraffic.ts';
import type { StartRequest as _lvsfleet_v1_StartRequest, StartRequest__Output as _lvsfleet_v1_StartRequest__Output } from '../../lvsfleet/v1/StartRequest.ts';
import type { StartResponse as _lvsfleet_v1_StartResponse, StartResponse__Output as _lvsfleet_v1_StartResponse__Output } from '../../lvsfleet/v1/StartResponse.ts';
import type { StopRequest as _lvsfleet_v1_StopRequest, StopRequest__Output as _lvsfleet_v1_StopRequest__Output } from '../../lvsfleet/v1/StopRequest.ts';
import type { StopResponse as _lvsfleet_v1_StopResponse, StopResponse__Output as _lvsfleet_v1_StopResponse__Output } from '../../lvsfleet/v1/StopResponse.ts';
import type { WatchEventsRequest as _lvsfleet_v1_WatchEventsRequest, WatchEventsRequest__Output as _lvsfleet_v1_WatchEventsRequest__Output } from '../../lvsfleet/v1/WatchEventsRequest.ts';

export interface AgentClient extends grpc.Client {
  /**
   * Reconcile the IPVS table with the desired one; returns the operations applied and the observed table.
   * Directors only; a real-server agent answers FAILED_PRECONDITION.
   */
  Apply(argument: _lvsfleet_v1_ApplyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _lvsfleet_v1_ApplyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _lvsfleet_v1_ApplyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _lvsfleet_v1_ApplyRequest, callback: grpc.requestCallback<_lvsfleet_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Reconcile the IPVS table with the desired one; returns the operations applied and the observed table.
   * Directors only; a real-server agent answers FAILED_PRECONDITION.
   */
  apply(argument: _lvsfleet_v1_ApplyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _lvsfleet_v1_ApplyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _lvsfleet_v1_ApplyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _lvsfleet_v1_ApplyRequest, callback: grpc.requestCallback<_lvsfleet_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Who the agent is: host name, role, driver, version.
   */
  GetInfo(argument: _lvsfleet_v1_GetInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _lvsfleet_v1_GetInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _lvsfleet_v1_GetInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _lvsfleet_v1_GetInfoRequest, callback: grpc.requestCallback<_lvsfleet_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Who the agent is: host name, role, driver, version.
   */
  getInfo(argument: _lvsfleet_v1_GetInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _lvsfleet_v1_GetInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _lvsfleet_v1_GetInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _lvsfleet_v1_GetInfoRequest, callback: grpc.requestCallback<_lvsfleet_v1_AgentInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * What the host really has now: role state, IPVS table with connection counts, addresses, routes, sysctls.
   */
  GetState(argument: _lvsfleet_v1_GetStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_AgentState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _lvsfleet_v1_GetStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_AgentState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _lvsfleet_v1_GetStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_AgentState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _lvsfleet_v1_GetStateRequest, callback: grpc.requestCallback<_lvsfleet_v1_AgentState__Output>): grpc.ClientUnaryCall;
  /**
   * What the host really has now: role state, IPVS table with connection counts, addresses, routes, sysctls.
   */
  getState(argument: _lvsfleet_v1_GetStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_AgentState__Output>): grpc.ClientUnaryCall;
  getState(argument: _lvsfleet_v1_GetStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_AgentState__Output>): grpc.ClientUnaryCall;
  getState(argument: _lvsfleet_v1_GetStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_AgentState__Output>): grpc.ClientUnaryCall;
  getState(argument: _lvsfleet_v1_GetStateRequest, callback: grpc.requestCallback<_lvsfleet_v1_AgentState__Output>): grpc.ClientUnaryCall;
  
  /**
   * Real-server agents: runs one action from the operator's allowlist in the agent's own
   * configuration (--actions-file), e.g. restarting the web server during a rolling job. The caller
   * names the action only; the command and its arguments are the agent's. NOT_FOUND: no such
   * action; FAILED_PRECONDITION: the agent has no allowlist; INVALID_ARGUMENT: a malformed name.
   */
  RunAction(argument: _lvsfleet_v1_RunActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_RunActionResponse__Output>): grpc.ClientUnaryCall;
  RunAction(argument: _lvsfleet_v1_RunActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_RunActionResponse__Output>): grpc.ClientUnaryCall;
  RunAction(argument: _lvsfleet_v1_RunActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_RunActionResponse__Output>): grpc.ClientUnaryCall;
  RunAction(argument: _lvsfleet_v1_RunActionRequest, callback: grpc.requestCallback<_lvsfleet_v1_RunActionResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Real-server agents: runs one action from the operator's allowlist in the agent's own
   * configuration (--actions-file), e.g. restarting the web server during a rolling job. The caller
   * names the action only; the command and its arguments are the agent's. NOT_FOUND: no such
   * action; FAILED_PRECONDITION: the agent has no allowlist; INVALID_ARGUMENT: a malformed name.
   */
  runAction(argument: _lvsfleet_v1_RunActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_RunActionResponse__Output>): grpc.ClientUnaryCall;
  runAction(argument: _lvsfleet_v1_RunActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_RunActionResponse__Output>): grpc.ClientUnaryCall;
  runAction(argument: _lvsfleet_v1_RunActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_RunActionResponse__Output>): grpc.ClientUnaryCall;
  runAction(argument: _lvsfleet_v1_RunActionRequest, callback: grpc.requestCallback<_lvsfleet_v1_RunActionResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sim driver only: fails or restores a simulated real server's health checks (the demo, tests).
   * Other drivers answer FAILED_PRECONDITION; an unknown real server NOT_FOUND.
   */
  SetSimulatedHealth(argument: _lvsfleet_v1_SetSimulatedHealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_SetSimulatedHealthResponse__Output>): grpc.ClientUnaryCall;
  SetSimulatedHealth(argument: _lvsfleet_v1_SetSimulatedHealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_SetSimulatedHealthResponse__Output>): grpc.ClientUnaryCall;
  SetSimulatedHealth(argument: _lvsfleet_v1_SetSimulatedHealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_SetSimulatedHealthResponse__Output>): grpc.ClientUnaryCall;
  SetSimulatedHealth(argument: _lvsfleet_v1_SetSimulatedHealthRequest, callback: grpc.requestCallback<_lvsfleet_v1_SetSimulatedHealthResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Sim driver only: fails or restores a simulated real server's health checks (the demo, tests).
   * Other drivers answer FAILED_PRECONDITION; an unknown real server NOT_FOUND.
   */
  setSimulatedHealth(argument: _lvsfleet_v1_SetSimulatedHealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_SetSimulatedHealthResponse__Output>): grpc.ClientUnaryCall;
  setSimulatedHealth(argument: _lvsfleet_v1_SetSimulatedHealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_SetSimulatedHealthResponse__Output>): grpc.ClientUnaryCall;
  setSimulatedHealth(argument: _lvsfleet_v1_SetSimulatedHealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_SetSimulatedHealthResponse__Output>): grpc.ClientUnaryCall;
  setSimulatedHealth(argument: _lvsfleet_v1_SetSimulatedHealthRequest, callback: grpc.requestCallback<_lvsfleet_v1_SetSimulatedHealthResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sim driver only: changes the simulated client traffic at run time (tests, demos): the load of new
   * connections against each virtual service, long-lived connections held on chosen real servers,
   * releasing them. Returns what the traffic does now. Other drivers answer FAILED_PRECONDITION.
   */
  SetSimulatedTraffic(argument: _lvsfleet_v1_SetSimulatedTrafficRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_SimulatedTraffic__Output>): grpc.ClientUnaryCall;
  SetSimulatedTraffic(argument: _lvsfleet_v1_SetSimulatedTrafficRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_SimulatedTraffic__Output>): grpc.ClientUnaryCall;
  SetSimulatedTraffic(argument: _lvsfleet_v1_SetSimulatedTrafficRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_SimulatedTraffic__Output>): grpc.ClientUnaryCall;
  SetSimulatedTraffic(argument: _lvsfleet_v1_SetSimulatedTrafficRequest, callback: grpc.requestCallback<_lvsfleet_v1_SimulatedTraffic__Output>): grpc.ClientUnaryCall;
  /**
   * Sim driver only: changes the simulated client traffic at run time (tests, demos): the load of new
   * connections against each virtual service, long-lived connections held on chosen real servers,
   * releasing them. Returns what the traffic does now. Other drivers answer FAILED_PRECONDITION.
   */
  setSimulatedTraffic(argument: _lvsfleet_v1_SetSimulatedTrafficRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_SimulatedTraffic__Output>): grpc.ClientUnaryCall;
  setSimulatedTraffic(argument: _lvsfleet_v1_SetSimulatedTrafficRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_SimulatedTraffic__Output>): grpc.ClientUnaryCall;
  setSimulatedTraffic(argument: _lvsfleet_v1_SetSimulatedTrafficRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_SimulatedTraffic__Output>): grpc.ClientUnaryCall;
  setSimulatedTraffic(argument: _lvsfleet_v1_SetSimulatedTrafficRequest, callback: grpc.requestCallback<_lvsfleet_v1_SimulatedTraffic__Output>): grpc.ClientUnaryCall;
  
  /**
   * Take up the host's role (lvsdr.sh start on a director, realdr.sh start on a real server). Idempotent.
   */
  Start(argument: _lvsfleet_v1_StartRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_StartResponse__Output>): grpc.ClientUnaryCall;
  Start(argument: _lvsfleet_v1_StartRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_StartResponse__Output>): grpc.ClientUnaryCall;
  Start(argument: _lvsfleet_v1_StartRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_StartResponse__Output>): grpc.ClientUnaryCall;
  Start(argument: _lvsfleet_v1_StartRequest, callback: grpc.requestCallback<_lvsfleet_v1_StartResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Take up the host's role (lvsdr.sh start on a director, realdr.sh start on a real server). Idempotent.
   */
  start(argument: _lvsfleet_v1_StartRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_StartResponse__Output>): grpc.ClientUnaryCall;
  start(argument: _lvsfleet_v1_StartRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_StartResponse__Output>): grpc.ClientUnaryCall;
  start(argument: _lvsfleet_v1_StartRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_StartResponse__Output>): grpc.ClientUnaryCall;
  start(argument: _lvsfleet_v1_StartRequest, callback: grpc.requestCallback<_lvsfleet_v1_StartResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Give up the role, removing exactly what Start added and restoring prior values. Idempotent.
   */
  Stop(argument: _lvsfleet_v1_StopRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_StopResponse__Output>): grpc.ClientUnaryCall;
  Stop(argument: _lvsfleet_v1_StopRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_StopResponse__Output>): grpc.ClientUnaryCall;
  Stop(argument: _lvsfleet_v1_StopRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_StopResponse__Output>): grpc.ClientUnaryCall;
  Stop(argument: _lvsfleet_v1_StopRequest, callback: grpc.requestCallback<_lvsfleet_v1_StopResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Give up the role, removing exactly what Start added and restoring prior values. Idempotent.
   */
  stop(argument: _lvsfleet_v1_StopRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_StopResponse__Output>): grpc.ClientUnaryCall;
  stop(argument: _lvsfleet_v1_StopRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lvsfleet_v1_StopResponse__Output>): grpc.ClientUnaryCall;
  stop(argument: _lvsfleet_v1_StopRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lvsfleet_v1_StopResponse__Output>): grpc.ClientUnaryCall;
  stop(argument: _lvsfleet_v1_StopRequest, callback: grpc.requestCallback<_lvsfleet_v1_StopResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Heartbeats, state changes and health changes, until the caller cancels.
   */
  WatchEvents(argument: _lvsfleet_v1_WatchEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_lvsfleet_v1_Event__Output>;
  WatchEvents(argument: _lvsfleet_v1_WatchEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_lvsfleet_v1_Event__Output>;
  /**
   * Heartbeats, state changes and health changes, until the caller cancels.
   */
  watchEvents(argument: _lvsfleet_v1_WatchEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_lvsfleet_v1_Event__Output>;
  watchEvents(argument: _lvsfleet_v1_WatchEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_lvsfleet_v1_Event__Output>;
  
}

export interface AgentHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Reconcile the IPVS table with the desired one; returns the operations applied and the observed table.
   * Directors only; a real-server agent answers FAILED_PRECONDITION.
   */
  Apply: grpc.handleUnaryCall<_lvsfleet_v1_ApplyRequest__Output, _lvsfleet_v1_ApplyResponse>;
  
  /**
   * Who the agent is: host name, role, driver, version.
   */
  GetInfo: grpc.handleUnaryCall<_lvsfleet_v1_GetInfoRequest__Output, _lvsfleet_v1_AgentInfo>;
  
  /**
   * What the host really has now: role state, IPVS table with connection counts, addresses, routes, sysctls.
   */
  GetState: grpc.handleUnaryCall<_lvsfleet_v1_GetStateRequest__Output, _lvsfleet_v1_AgentState>;
  
  /**
   * Real-server agents: runs one action from the operator's allowlist in the agent's own
   * configuration (--actions-file), e.g. restarting the web server during a rolling job. The caller
   * names the action only; the command and its arguments are the agent's. NOT_FOUND: no such
   * action; FAILED_PRECONDITION: the agent has no allowlist; INVALID_ARGUMENT: a malformed name.
   */
  RunAction: grpc.handleUnaryCall<_lvsfleet_v1_RunActionRequest__Output, _lvsfleet_v1_RunActionResponse>;
  
  /**
   * Sim driver only: fails or restores a simulated real server's health checks (the demo, tests).
   * Other drivers answer FAILED_PRECONDITION; an unknown real server NOT_FOUND.
   */
  SetSimulatedHealth: grpc.handleUnaryCall<_lvsfleet_v1_SetSimulatedHealthRequest__Output, _lvsfleet_v1_SetSimulatedHealthResponse>;
  
  /**
   * Sim driver only: changes the simulated client traffic at run time (tests, demos): the load of new
   * connections against each virtual service, long-lived connections held on chosen real servers,
   * releasing them. Returns what the traffic does now. Other drivers answer FAILED_PRECONDITION.
   */
  SetSimulatedTraffic: grpc.handleUnaryCall<_lvsfleet_v1_SetSimulatedTrafficRequest__Output, _lvsfleet_v1_SimulatedTraffic>;
  
  /**
   * Take up the host's role (lvsdr.sh start on a director, realdr.sh start on a real server). Idempotent.
   */
  Start: grpc.handleUnaryCall<_lvsfleet_v1_StartRequest__Output, _lvsfleet_v1_StartResponse>;
  
  /**
   * Give up the role, removing exactly what Start added and restoring prior values. Idempotent.
   */
  Stop: grpc.handleUnaryCall<_lvsfleet_v1_StopRequest__Output, _lvsfleet_v1_StopResponse>;
  
  /**
   * Heartbeats, state changes and health changes, until the caller cancels.
   */
  WatchEvents: grpc.handleServerStreamingCall<_lvsfleet_v1_WatchEventsRequest__Output, _lvsfleet_v1_Event>;
  
}

export interface AgentDefinition extends grpc.ServiceDefinition {
  Apply: MethodDefinition<_lvsfleet_v1_ApplyRequest, _lvsfleet_v1_ApplyResponse, _lvsfleet_v1_ApplyRequest__Output, _lvsfleet_v1_ApplyResponse__Output>
  GetInfo: MethodDefinition<_lvsfleet_v1_GetInfoRequest, _lvsfleet_v1_AgentInfo, _lvsfleet_v1_GetInfoRequest__Output, _lvsfleet_v1_AgentInfo__Output>
  GetState: MethodDefinition<_lvsfleet_v1_GetStateRequest, _lvsfleet_v1_AgentState, _lvsfleet_v1_GetStateRequest__Output, _lvsfleet_v1_AgentState__Output>
  RunAction: MethodDefinition<_lvsfleet_v1_RunActionRequest, _lvsfleet_v1_RunActionResponse, _lvsfleet_v1_RunActionRequest__Output, _lvsfleet_v1_RunActionResponse__Output>
  SetSimulatedHealth: MethodDefinition<_lvsfleet_v1_SetSimulatedHealthRequest, _lvsfleet_v1_SetSimulatedHealthResponse, _lvsfleet_v1_SetSimulatedHealthRequest__Output, _lvsfleet_v1_SetSimulatedHealthResponse__Output>
  SetSimulatedTraffic: MethodDefinition<_lvsfleet_v1_SetSimulatedTrafficRequest, _lvsfleet_v1_SimulatedTraffic, _lvsfleet_v1_SetSimulatedTrafficRequest__Output, _lvsfleet_v1_SimulatedTraffic__Output>
  Start: MethodDefinition<_lvsfleet_v1_StartRequest, _lvsfleet_v1_StartResponse, _lvsfleet_v1_StartRequest__Output, _lvsfleet_v1_StartResponse__Output>
  Stop: MethodDefinition<_lvsfleet_v1_StopRequest, _lvsfleet_v1_StopResponse, _lvsfleet_v1_StopRequest__Output, _lvsfleet_v1_StopResponse__Output>
  WatchEvents: MethodDefinition<_lvsfleet_v1_WatchEventsRequest, _lvsfleet_v1_Event, _lvsfleet_v1_WatchEventsRequest__Output, _lvsfleet_v1_Event__Output>
}
